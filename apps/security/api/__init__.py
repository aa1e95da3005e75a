"""The security REST API: `views` (thin DRF views) and `serializers` (their input and output shapes)."""

"""The only code of this app that talks to outside systems: object storage, clamd, an SMS provider."""

from django.apps import AppConfig


class SocialProfileConfig(AppConfig):
    name = "apps.social_profile"
    label = "social_profile"
    verbose_name = "Social profile and OAuth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from apps.social_profile.oauth.cors import platform_origin_allowed

        # Platforms' registered origins are allowed by the CORS layer, on the OAuth endpoints only.
        check_request_enabled.connect(platform_origin_allowed, dispatch_uid="social_profile_platform_cors")

        from apps.identity.services import erase_hook_register
        from apps.social_profile.services.privacy import social_data_erase

        erase_hook_register(social_data_erase)

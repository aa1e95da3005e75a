from django.apps import AppConfig


class TestAppConfig(AppConfig):
    """Models and views that exercise the platform plumbing on its own, before any product app uses it."""

    name = "tests.testapp"
    label = "testapp"

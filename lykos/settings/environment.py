"""The one `env` object every settings module reads the environment through, and the checkout's root."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

"""The one `env` object every settings module reads the environment through, the checkout's root, and the local
origin that the origin settings default to."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# The port `make run` serves on (`make run PORT=8123`). Every origin setting (WebAuthn origins, the public base URL,
# CORS, CSRF) defaults to this origin, so changing the port changes them all; production sets each explicitly.
PORT = env.int("PORT", default=8000)
LOCAL_ORIGIN = f"http://localhost:{PORT}"

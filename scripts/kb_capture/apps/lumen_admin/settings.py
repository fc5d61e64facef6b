"""Minimal Django settings for the Lumen Orders back-office (single-file project)."""

SECRET_KEY = "lumen-dev-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "lumen_admin.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES: dict[str, dict[str, object]] = {}
USE_TZ = True

"""Mints an access token the way a Django platform does, with
djangorestframework-simplejwt: RS256, the user's primary key in `user_id`.

    python simplejwt_token.py PRIVATE_KEY_PEM USER_PK ISSUER AUDIENCE
"""
import sys

import django
from django.conf import settings

key_path, user_pk, issuer, audience = sys.argv[1:5]
with open(key_path) as f:
    private_key = f.read()

settings.configure(
    SECRET_KEY="not-used-for-rs256",
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "rest_framework_simplejwt",
    ],
    SIMPLE_JWT={
        "ALGORITHM": "RS256",
        "SIGNING_KEY": private_key,
        "ISSUER": issuer,
        "AUDIENCE": audience,
        "USER_ID_FIELD": "id",
        "USER_ID_CLAIM": "user_id",
    },
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

user = User(id=int(user_pk), username=f"user{user_pk}")
print(str(AccessToken.for_user(user)))

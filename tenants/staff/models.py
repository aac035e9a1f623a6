"""Device tokens and the audit of staff changes, in each tenant's schema."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class DeviceToken(AbstractAuthToken):
    """An API token of one device (django-rest-knox's token, KNOX_TOKEN_MODEL): only a
    digest of the token is stored; `terminal` names the device it was issued to, so a
    venue admin can cut off one lost terminal and leave the others logged in."""

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    terminal = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        verbose_name = "device token"
        indexes = [models.Index(fields=["user", "terminal"], name="devicetoken_user_terminal")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.terminal or 'unnamed terminal'}"


class StaffChange(models.Model):
    """One change to a staff member, whoever made it and wherever (API, admin, command)."""

    class Action(models.TextChoices):
        CREATED = "created"
        ROLE_CHANGED = "role_changed"
        RENAMED = "renamed"
        DEACTIVATED = "deactivated"
        REACTIVATED = "reactivated"
        PASSWORD_RESET = "password_reset"
        TOKEN_REVOKED = "token_revoked"

    class Via(models.TextChoices):
        API = "api"
        ADMIN = "admin"
        COMMAND = "command"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="staff_changes")
    username = models.CharField(max_length=150)  # kept if the user row is ever deleted
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    from_value = models.CharField(max_length=150, blank=True, default="")
    to_value = models.CharField(max_length=150, blank=True, default="")
    via = models.CharField(max_length=10, choices=Via.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.username}: {self.action}"

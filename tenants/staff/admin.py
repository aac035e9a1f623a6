"""The staff in a venue's Django admin, for its venue admins: list, create, change role or
name, deactivate, reset a password, and cut off one device's token. Every change goes
through tenants.staff.services (the same rules and audit as /api/staff/).

The admin registry is global: on the platform's host (public schema) users are the
platform's superusers and Django's own UserAdmin applies unchanged."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.password_validation import validate_password
from django.http import HttpResponseRedirect
from django.urls import reverse

from tenants.admin import on_public_schema
from tenants.roles import Role
from tenants.staff.models import DeviceToken, StaffChange
from tenants.staff.selectors import active_venue_admins, role_of
from tenants.staff.services import (
    change_staff,
    create_staff,
    reset_staff_password,
    revoke_device_token,
)

User = get_user_model()
ROLE_CHOICES = [(role.value, role.value.replace("_", " ")) for role in Role]
LAST_ADMIN = ("The venue must keep at least one active venue admin: make someone else "
              "venue admin first.")


class _PasswordFields:
    """password1 and password2: equal, and accepted by Django's password validators."""

    def _checked_password(self, *, required: bool) -> str:
        first = self.cleaned_data.get("password1") or ""
        second = self.cleaned_data.get("password2") or ""
        if not first and not second and not required:
            return ""
        if first != second:
            self.add_error("password2", "The two passwords do not match.")
            return ""
        try:
            validate_password(first, user=self.instance)
        except forms.ValidationError as exc:
            self.add_error("password1", exc)
        return first


class StaffAddForm(_PasswordFields, forms.ModelForm):
    name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password (again)", strip=False,
                                widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ("username",)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"The username {username!r} is taken.")
        return username

    def clean(self) -> dict:
        cleaned = super().clean()
        self._checked_password(required=True)
        return cleaned


class StaffChangeForm(_PasswordFields, forms.ModelForm):
    name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    password1 = forms.CharField(label="New password", strip=False, required=False,
                                widget=forms.PasswordInput,
                                help_text="Leave empty to keep it. A new password logs the "
                                          "user out everywhere.")
    password2 = forms.CharField(label="New password (again)", strip=False, required=False,
                                widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ("is_active",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        role = role_of(self.instance)
        self.fields["name"].initial = self.instance.first_name
        self.fields["role"].initial = role.value if role else None

    def clean(self) -> dict:
        cleaned = super().clean()
        self._checked_password(required=False)
        was_admin = role_of(self.instance) == Role.VENUE_ADMIN and self.initial.get("is_active")
        stays_admin = cleaned.get("role") == Role.VENUE_ADMIN and cleaned.get("is_active")
        if was_admin and not stays_admin and not active_venue_admins().exclude(
                pk=self.instance.pk).exists():
            raise forms.ValidationError(LAST_ADMIN)
        return cleaned


class StaffAdmin(UserAdmin):
    """Django's UserAdmin on the platform's host; the venue's staff on a venue's host."""

    staff_fieldsets = (
        (None, {"fields": ("username", "name", "role", "is_active")}),
        ("Reset the password", {"fields": ("password1", "password2")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    staff_add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "name", "role", "password1", "password2")}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if on_public_schema():
            return queryset
        return queryset.filter(is_superuser=False).prefetch_related("groups")

    def get_list_display(self, request):
        if on_public_schema():
            return super().get_list_display(request)
        return ("username", "first_name", "role", "is_active", "last_login")

    def get_list_filter(self, request):
        if on_public_schema():
            return super().get_list_filter(request)
        return ("is_active", "groups")

    @admin.display(description="role")
    def role(self, obj) -> str:
        role = role_of(obj)
        return role.value if role else "—"

    def get_fieldsets(self, request, obj=None):
        if on_public_schema():
            return super().get_fieldsets(request, obj)
        return self.staff_add_fieldsets if obj is None else self.staff_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if on_public_schema() or obj is None:
            return super().get_readonly_fields(request, obj)
        return ("username", "last_login", "date_joined")

    def get_form(self, request, obj=None, **kwargs):
        if not on_public_schema():
            kwargs["form"] = StaffAddForm if obj is None else StaffChangeForm
        return super().get_form(request, obj, **kwargs)

    def save_form(self, request, form, change):
        if on_public_schema():
            return super().save_form(request, form, change)
        data = form.cleaned_data
        via = StaffChange.Via.ADMIN
        if not change:
            return create_staff(username=data["username"], name=data["name"],
                                role=Role(data["role"]), password=data["password1"],
                                actor=request.user, via=via)
        user = User.objects.get(pk=form.instance.pk)
        change_staff(user=user, actor=request.user, via=via, name=data["name"],
                     role=Role(data["role"]), is_active=data["is_active"])
        if data.get("password1"):
            reset_staff_password(user=user, password=data["password1"], actor=request.user,
                                 via=via)
        return user

    def save_model(self, request, obj, form, change):
        if on_public_schema():
            super().save_model(request, obj, form, change)
        # On a venue's host save_form already saved it, through the services.

    def save_related(self, request, form, formsets, change):
        if on_public_schema():
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        # Staff are deactivated, never deleted: their sales and audit rows name them.
        return on_public_schema() and super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        if on_public_schema():
            return super().user_change_password(request, id, form_url)
        # A venue admin resets a password on the staff member's own page (with the audit).
        return HttpResponseRedirect(reverse("admin:auth_user_change", args=[id]))


admin.site.unregister(User)
admin.site.register(User, StaffAdmin)


class VenueSchemaOnlyAdmin(admin.ModelAdmin):
    """Models of the venues' schemas: not on the platform's host, whose schema has no such
    table."""

    def has_module_permission(self, request):
        return not on_public_schema() and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return not on_public_schema() and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not on_public_schema() and super().has_delete_permission(request, obj)


@admin.register(DeviceToken)
class DeviceTokenAdmin(VenueSchemaOnlyAdmin):
    """Devices logged in with an API token; deleting one logs that device out."""

    list_display = ["user", "terminal", "created", "expiry"]
    list_filter = ["terminal"]
    list_select_related = ["user"]
    search_fields = ["user__username", "terminal"]
    fields = ["user", "terminal", "created", "expiry"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # tokens are issued by logging in

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        revoke_device_token(user=obj.user, token_id=obj.pk, actor=request.user,
                            via=StaffChange.Via.ADMIN)

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            self.delete_model(request, token)


@admin.register(StaffChange)
class StaffChangeAdmin(VenueSchemaOnlyAdmin):
    list_display = ["created_at", "username", "action", "from_value", "to_value", "actor", "via"]
    list_filter = ["action", "via"]
    list_select_related = ["actor"]
    search_fields = ["username"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from pos.errors import Conflict, DomainError


class InvalidTenant(DomainError):
    code = "invalid_tenant"


class TenantAlreadyExists(Conflict):
    code = "tenant_exists"

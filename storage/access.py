"""Who may see what (docs/staff-and-cases.md). One place, so the API and the services agree."""

from __future__ import annotations

from dataclasses import dataclass

from storage.enums import ActorKind, Role

CASE_ROLES = frozenset({Role.OPERATOR, Role.FOCAL_POINT})
SENSITIVE_ROLES = frozenset({Role.FOCAL_POINT})
STATS_ROLES = frozenset(Role)
USER_ADMIN_ROLES = frozenset({Role.ADMIN})
AUDIT_ROLES = frozenset({Role.ADMIN, Role.FOCAL_POINT})
# Who keeps the reply templates; whoever works with cases uses them.
TEMPLATE_ROLES = frozenset({Role.ADMIN, Role.FOCAL_POINT})
# Who keeps the feedback points and their surveys (issue 24): the M&E side. Every staff
# role may read them (operators read the complaints and comments they bring).
FEEDBACK_POINT_ROLES = frozenset({Role.ANALYST, Role.FOCAL_POINT, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff member, an anonymous reporter, or the system itself."""

    kind: ActorKind
    user_id: int | None = None
    username: str | None = None
    role: Role | None = None

    @classmethod
    def reporter(cls) -> Actor:
        return cls(ActorKind.REPORTER)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)

    @classmethod
    def staff(cls, user_id: int, username: str, role: Role | str) -> Actor:
        return cls(ActorKind.STAFF, user_id, username, Role(role))

    @property
    def can_see_cases(self) -> bool:
        return self.role in CASE_ROLES

    @property
    def can_see_sensitive(self) -> bool:
        return self.role in SENSITIVE_ROLES

    @property
    def can_manage_users(self) -> bool:
        return self.role in USER_ADMIN_ROLES

    @property
    def can_read_audit(self) -> bool:
        return self.role in AUDIT_ROLES

    @property
    def can_manage_templates(self) -> bool:
        return self.role in TEMPLATE_ROLES

    @property
    def can_manage_feedback_points(self) -> bool:
        return self.role in FEEDBACK_POINT_ROLES

    def may_see(self, *, sensitive: bool) -> bool:
        return self.can_see_cases and (not sensitive or self.can_see_sensitive)


def role_may_see(role: Role | str, *, sensitive: bool) -> bool:
    role = Role(role)
    return role in CASE_ROLES and (not sensitive or role in SENSITIVE_ROLES)

"""Accounts: users, login with throttling, bearer tokens and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth import security
from qudao.auth.models import ApiKey, LoginFailure, User
from qudao.auth.permissions import authorize
from qudao.auth.schemas import UserCreate, UserUpdate
from qudao.common.actor import Actor, Role
from qudao.common.listing import ListParams, paginate
from qudao.common.records import apply_changes, snapshot
from qudao.config import Settings
from qudao.db import utcnow
from qudao.errors import Conflict, NotFound, TooManyRequests, Unauthorized, invalid
from qudao.partners.models import Partner


def _redacted(user: User) -> dict[str, object]:
    data = snapshot(user)
    data.pop("password_hash", None)
    return data


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), partner_id=user.partner_id)


def get_user(session: Session, actor: Actor, username: str) -> User:
    authorize(actor, "users:read")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(detail=f"user {username} not found")
    return user


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    authorize(actor, "users:write")
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(detail=f"username {data.username} is taken")
    partner_id = None
    if data.role == Role.partner:
        if not data.partner_code:
            raise invalid("partner_code", "a partner user must be bound to a partner organisation")
        partner = session.scalar(select(Partner).where(Partner.code == data.partner_code))
        if partner is None or partner.archived_at is not None:
            raise invalid("partner_code", f"no active partner with code {data.partner_code!r}")
        partner_id = partner.id
    elif data.partner_code:
        raise invalid("partner_code", "only users with role 'partner' are bound to a partner")
    user = User(
        username=data.username,
        password_hash=security.hash_password(data.password),
        role=data.role.value,
        partner_id=partner_id,
        full_name=data.full_name,
        email=data.email,
        locale=data.locale,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, action="create", entity="users", entity_id=user.id, after=_redacted(user))
    return user


def update_user(session: Session, actor: Actor, username: str, data: UserUpdate) -> User:
    authorize(actor, "users:write")
    user = get_user(session, actor, username)
    before = _redacted(user)
    changes = data.model_dump(exclude_unset=True, exclude={"password"})
    if "role" in changes:
        new_role = changes["role"]
        if (new_role == Role.partner) != (user.partner_id is not None):
            raise invalid("role", "a user cannot move between staff and partner roles; create a new user")
        changes["role"] = new_role.value if new_role else user.role
    if any(v is None for k, v in changes.items() if k in {"role", "is_active"}):
        raise invalid("role", "must not be null")
    apply_changes(user, changes)
    if data.password:
        user.password_hash = security.hash_password(data.password)
    session.flush()
    after = _redacted(user)
    if data.password:
        after["password"] = "changed"
    audit.record(session, actor, action="update", entity="users", entity_id=user.id, before=before, after=after)
    return user


def disable_user(session: Session, actor: Actor, username: str) -> User:
    return update_user(session, actor, username, UserUpdate(is_active=False))


def count_users(session: Session) -> int:
    """How many accounts exist (the CLI loads the demo data into an empty database)."""
    return session.scalar(select(func.count()).select_from(User)) or 0


def list_users(session: Session, actor: Actor, params: ListParams) -> tuple[list[User], int]:
    authorize(actor, "users:read")
    filters = [] if params.include_archived else [User.is_active.is_(True)]
    return paginate(
        session,
        select(User),
        params,
        search=(User.username, User.full_name, User.email),
        sortable={"id": User.id, "username": User.username, "role": User.role, "created_at": User.created_at},
        default_sort="username",
        filters=filters,
    )


@dataclass
class LoginResult:
    token: str | None = None
    expires_in: int = 0
    user: User | None = None
    failure: str | None = None


def login(session: Session, settings: Settings, username: str, password: str, client: str | None) -> LoginResult:
    """Check a password. Failures are recorded (in the caller's transaction, which the adapter commits)
    and after ``login_max_failures`` within the lockout window further attempts are refused."""
    window_start = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    recent = session.scalar(
        select(func.count()).where(LoginFailure.username == username, LoginFailure.at >= window_start)
    )
    if (recent or 0) >= settings.login_max_failures:
        raise TooManyRequests(
            detail=f"too many failed logins for {username}; try again in {settings.login_lockout_minutes} minutes"
        )
    user = session.scalar(select(User).where(User.username == username))
    ok = security.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        session.add(LoginFailure(username=username[:80], client=client))
        return LoginResult(failure="incorrect username or password, or the account is disabled")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    user.last_login_at = utcnow()
    token = security.issue_token(
        settings.resolved_secret_key(), user_id=user.id, username=user.username, minutes=settings.token_minutes
    )
    return LoginResult(token=token, expires_in=settings.token_minutes * 60, user=user)


# Runs on every API request: a Core read of the five columns an actor needs (no ORM object to build).
_ACTOR = select(User.id, User.username, User.role, User.partner_id, User.is_active).where(
    User.id == bindparam("user_id"))


def actor_from_credentials(session: Session, settings: Settings, credential: str) -> Actor:
    """Resolve a bearer token or API key to an active user's actor, else raise Unauthorized."""
    user_id: int | None = None
    if credential.startswith(security.API_KEY_PREFIX):
        parts = credential[len(security.API_KEY_PREFIX) :].split("_", 1)
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[0])) if len(parts) == 2 else None
        if key is not None and key.revoked_at is None and key.key_hash == security.digest(credential):
            user_id = key.user_id
    else:
        user_id = security.read_token(settings.resolved_secret_key(), credential)
    user = session.execute(_ACTOR, {"user_id": user_id}).first() if user_id is not None else None
    if user is None or not user.is_active:
        raise Unauthorized(detail="invalid or expired credentials")
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), partner_id=user.partner_id)


def create_api_key(session: Session, actor: Actor, username: str, name: str) -> tuple[ApiKey, str]:
    user = get_user(session, actor, username) if actor.username != username else None
    if user is None:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(detail=f"user {username} not found")
    else:
        authorize(actor, "users:write")
    full, prefix, digest = security.new_api_key()
    key = ApiKey(user_id=user.id, name=name, prefix=prefix, key_hash=digest)
    session.add(key)
    session.flush()
    audit.record(session, actor, action="create", entity="api_keys", entity_id=key.id,
                 after={"user": user.username, "name": name, "prefix": prefix})
    return key, full


def revoke_api_key(session: Session, actor: Actor, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(detail=f"api key {key_id} not found")
    if key.user_id != actor.user_id:
        authorize(actor, "users:write")
    if key.revoked_at is not None:
        raise Conflict(detail=f"api key {key_id} is already revoked")
    key.revoked_at = utcnow()
    audit.record(session, actor, action="revoke", entity="api_keys", entity_id=key.id)
    return key

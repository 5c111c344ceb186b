"""deploy/postgres/app-role.sql, the migration step's grants, on the test PostgreSQL database.

Run as the migration step runs it (`manage.py dbshell`: psql, its own session, one
transaction) for a throw-away role. What it grants is committed, so these tests run outside a
test transaction (`transactional_db`), and the role is undone at the end: `DROP OWNED BY` takes
back its grants and default privileges in this database, then the role goes.
"""

from __future__ import annotations

import io
import shutil
import uuid
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.deploy.test_manifests import APP_ROLE_SQL, ROOT

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql (postgresql-client)"),
]


def _step(role: str) -> None:
    """The migration step's first command (tests/deploy/test_manifests.py pins its text)."""
    call_command("dbshell", "--", "--no-psqlrc", "--quiet", "--single-transaction",
                 "--set", "ON_ERROR_STOP=1", "--set", f"app_role={role}",
                 "--file", str(APP_ROLE_SQL.relative_to(ROOT)))


def _may(role: str, table: str, privilege: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
        return cursor.fetchone()[0]


def _tables_granted(role: str) -> int:
    """Tables whose ACL names the role itself (not what it inherits as a member of another)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT c.oid) FROM pg_class c, aclexplode(c.relacl) a "
                       "JOIN pg_roles r ON r.oid = a.grantee WHERE r.rolname = %s", [role])
        return cursor.fetchone()[0]


def _default_privileges(role: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT d.defaclobjtype, a.privilege_type FROM pg_default_acl d, "
                       "aclexplode(d.defaclacl) a JOIN pg_roles r ON r.oid = a.grantee "
                       "WHERE r.rolname = %s", [role])
        return {f"{kind}:{privilege}" for kind, privilege in cursor.fetchall()}


@pytest.fixture
def new_role(transactional_db, monkeypatch) -> Iterator[str]:
    """A LOGIN role with no rights yet, as the database's provisioning makes bank_app."""
    monkeypatch.chdir(ROOT)  # the step names the SQL file relative to /app, the image's root
    role = f"bank_app_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS deploy_test_later_table")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def test_the_step_grants_the_ordinary_rights_and_never_widens_the_audit_tables_again(new_role):
    role = new_role
    assert not _may(role, "oauth2_provider_accesstoken", "SELECT")
    assert _tables_granted(role) == 0

    _step(role)  # first run: the tables the owner already made, and every later one
    assert _tables_granted(role) > 50
    for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
        assert _may(role, "oauth2_provider_accesstoken", privilege), privilege
    assert not _may(role, "oauth2_provider_accesstoken", "TRUNCATE")
    assert _default_privileges(role) == {"r:SELECT", "r:INSERT", "r:UPDATE", "r:DELETE",
                                         "S:USAGE", "S:SELECT"}

    call_command("audit", "grant-app-role", role, stdout=io.StringIO())
    narrowed = {("security_auditarchive", "DELETE"), ("security_auditarchive", "UPDATE"),
                ("security_auditchainkey", "UPDATE"), ("security_auditchainkey", "DELETE"),
                ("security_auditevent", "DELETE")}
    assert not any(_may(role, *pair) for pair in narrowed)

    _step(role)  # a later release: the previous one still serves as this role
    assert not any(_may(role, *pair) for pair in narrowed)
    assert _may(role, "security_auditevent", "INSERT")
    assert _may(role, "oauth2_provider_accesstoken", "DELETE")

    with connection.cursor() as cursor:  # what a later migration does, as the owner
        cursor.execute("CREATE TABLE deploy_test_later_table (id bigint PRIMARY KEY)")
    assert _may(role, "deploy_test_later_table", "INSERT")


def test_the_step_refuses_a_role_that_could_get_round_the_audit_triggers(new_role, capfd):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute(f"GRANT {connection.ops.quote_name(owner)} TO {new_role}")
    for role in (owner, new_role, "no_such_role_here"):
        with pytest.raises(CommandError):
            _step(role)
    errors = capfd.readouterr().err
    assert errors.count("may not be the owner, a member of it") == 2, errors
    assert "app role no_such_role_here does not exist" in errors
    # Each refusal rolled the whole step back: nothing granted, no default privileges.
    assert _tables_granted(new_role) == 0
    assert _default_privileges(new_role) == set()

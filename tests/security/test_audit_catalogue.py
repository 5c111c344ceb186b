"""Issue 8's list of security-relevant acts, each with the event type it writes and the test
that proves a real code path writes it. This test keeps the list honest: every event type is
emitted by the bank's code, and every named test exists and checks that event type.
docs/audit-events.md is the same table for readers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("accounts", "bank", "security", "transactions")

#: act -> [(event type, "tests/path.py::test_name")]
CATALOGUE: dict[str, list[tuple[str, str]]] = {
    "login success": [
        ("LOGIN_SUCCEEDED", "tests/consent/test_login_security.py::test_a_full_login_resets_the_failure_count")],
    "login failure (reason class, never the password or code)": [
        ("LOGIN_FAILED", "tests/consent/test_login_security.py::test_three_wrong_codes_void_the_login")],
    "OTP sent / failed / locked": [
        ("OTP_SENT", "tests/consent/test_login_security.py::test_the_code_is_six_digits_sent_out_of_band_and_never_stored_or_audited"),
        ("LOGIN_FAILED", "tests/consent/test_login_security.py::test_three_wrong_codes_void_the_login"),
        ("LOGIN_LOCKED_OUT", "tests/consent/test_login_security.py::test_five_failures_lock_the_identifier_with_back_off_and_are_audited")],
    "consent granted / amended / declined": [
        ("AUTHORIZATION_APPROVED", "tests/oauth/test_authorize.py::test_par_authorize_and_approval_end_in_a_verifiable_jarm_code_response"),
        ("ARRANGEMENT_CREATED", "tests/resources/test_consent_services.py::test_arrangement_and_token_work_end_to_end"),
        ("ARRANGEMENT_AMENDED", "tests/oauth/test_authorize.py::test_amending_keeps_the_id_and_revokes_old_tokens_only_at_completion"),
        ("AUTHORIZATION_DECLINED", "tests/oauth/test_authorize.py::test_decline_answers_access_denied_and_creates_nothing")],
    "consent revoked (customer, recipient or staff) or expired": [
        ("ARRANGEMENT_REVOKED", "tests/resources/test_consent_admin.py::test_staff_cannot_edit_or_delete_but_can_revoke"),
        ("ARRANGEMENT_EXPIRED", "tests/oauth/test_arrangement_expiry.py::test_an_arrangement_past_its_sharing_period_expires_once_with_its_tokens")],
    "tokens issued / refreshed / revoked / rejected (with why)": [
        ("ACCESS_TOKEN_ISSUED", "tests/oauth/test_token_audit.py::test_issue_and_refresh_name_the_grant_and_the_bound_certificate"),
        ("ACCESS_TOKEN_REFRESHED", "tests/oauth/test_token_audit.py::test_issue_and_refresh_name_the_grant_and_the_bound_certificate"),
        ("TOKEN_REVOKED", "tests/oauth/test_token_audit.py::test_a_revoked_access_token_used_again_is_rejected_as_revoked"),
        ("TOKEN_REJECTED", "tests/oauth/test_token_audit.py::test_expired_and_unknown_tokens_are_rejected_with_their_reason"),
        ("TOKEN_REQUEST_REJECTED", "tests/oauth/test_token_audit.py::test_refused_refresh_says_why_in_the_trail_and_nothing_more_to_the_caller")],
    "client registration changes": [
        ("CLIENT_REGISTERED", "tests/oauth/test_dcr.py::test_registration_creates_the_client_and_returns_the_cds_body"),
        ("CLIENT_REGISTRATION_UPDATED", "tests/oauth/test_dcr.py::test_put_updates_the_registration_and_keeps_the_client_id"),
        ("CLIENT_REGISTRATION_DELETED", "tests/oauth/test_dcr.py::test_delete_ends_the_registration_and_every_token"),
        ("CLIENT_REGISTRATION_REJECTED", "tests/oauth/test_dcr.py::test_registration_refusals_are_400_with_the_cds_error_and_leave_nothing")],
    "authorization failures (wrong scope, foreign IDs, certificate mismatch)": [
        ("RESOURCE_ACCESS_DENIED", "tests/resources/test_refusal_audit.py::test_a_missing_scope_is_denied_audited_and_survives_the_rollback"),
        ("RESOURCE_ACCESS_DENIED", "tests/resources/test_refusal_audit.py::test_another_customers_account_is_a_foreign_id_probe"),
        ("TOKEN_REJECTED", "tests/oauth/test_token_audit.py::test_a_token_presented_on_another_certificate_is_rejected_for_the_certificate")],
    "rate-limit violations": [
        ("RATE_LIMIT_EXCEEDED", "tests/resources/test_rate_limits.py::test_refusals_are_audited_once_a_minute_per_limit_and_caller_and_each_is_logged")],
    "input rejected": [
        ("INPUT_REJECTED", "tests/resources/test_refusal_audit.py::test_malformed_input_is_audited_as_input_rejected")],
    "admin actions (before/after, sensitive fields masked)": [
        ("ADMIN_OBJECT_CHANGED", "tests/security/test_admin_audit.py::test_customer_change_records_before_and_after_with_personal_data_masked"),
        ("ADMIN_OBJECT_ADDED", "tests/security/test_admin_audit.py::test_an_object_added_in_the_console_records_what_was_set"),
        ("ADMIN_OBJECT_DELETED", "tests/security/test_admin_audit.py::test_customer_delete_records_the_row_as_it_was_with_personal_data_masked"),
        ("ADMIN_ACTION_RUN", "tests/security/test_admin_audit.py::test_an_admin_action_is_recorded_with_what_it_ran_on")],
    "key events": [
        ("KEY_ROTATED", "tests/encryption/test_rotation.py::test_a_rotation_killed_half_way_resumes_and_finishes"),
        ("KEK_ROTATED", "tests/encryption/test_rotation.py::test_kek_rotation_rewraps_keys_and_leaves_rows_alone"),
        ("SIGNING_KEY_CREATED", "tests/oauth/test_signing_keys_command.py::test_rotate_then_retire")],
    "configuration at start-up": [
        ("CONFIG_LOADED", "tests/security/test_config_audit.py::test_the_first_start_records_config_loaded_and_no_change"),
        ("CONFIG_CHANGED", "tests/security/test_config_audit.py::test_a_changed_setting_is_named_with_before_and_after")],
    "audit events archived and deleted by retention": [
        ("AUDIT_EVENTS_ARCHIVED", "tests/security/test_audit_retention.py::test_retention_archives_verifies_and_deletes_exactly_what_is_due")],
}

ENTRIES = [(act, event, where) for act, pairs in CATALOGUE.items() for event, where in pairs]


def _source_text() -> str:
    return "\n".join(path.read_text() for package in SOURCES
                     for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts)


@pytest.fixture(scope="module")
def source() -> str:
    return _source_text()


@pytest.mark.parametrize(("act", "event", "where"), ENTRIES, ids=[f"{e[1]}" for e in ENTRIES])
def test_each_listed_act_is_emitted_and_proven_by_a_test(act, event, where, source):
    assert f'"{event}"' in source, f"{act}: nothing in the bank emits {event}"
    path, _, name = where.partition("::")
    tree = ast.parse((ROOT / path).read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert name in functions, f"{act}: {where} does not exist"
    body = ast.get_source_segment((ROOT / path).read_text(), functions[name]) or ""
    # The event named as a string, as a constant, or through a helper named after it.
    assert event in body or event.lower() in body, f"{act}: {where} never checks {event}"

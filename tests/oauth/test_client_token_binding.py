"""Client-credentials (cdr:registration) tokens are bound to the certificate they came on."""

from __future__ import annotations

import pytest

from security.oauth import dcr
from security.oauth.errors import InvalidToken
from security.oauth.models import ClientTokenBinding
from security.oauth.tokens import client_credentials_exchange


@pytest.fixture
def registration(make_client):
    client = make_client(scope="openid cdr:registration bank:accounts.basic:read")
    return client.registration


def test_registration_token_is_bound_and_checked(registration):
    response = client_credentials_exchange(
        registration=registration, scope="cdr:registration", presented_thumbprint="T" * 43
    )
    binding = ClientTokenBinding.objects.get()
    assert binding.certificate_thumbprint == "T" * 43
    header = f"Bearer {response.access_token}"
    assert dcr.registration_access_check(
        client_id=registration.client_id, authorization=header, presented_thumbprint="T" * 43
    ).pk == registration.pk
    for other in ("U" * 43, None):
        with pytest.raises(InvalidToken):
            dcr.registration_access_check(
                client_id=registration.client_id, authorization=header, presented_thumbprint=other
            )

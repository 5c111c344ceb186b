"""CommonPerson / CommonOrganisation (Get Customer v1) and their Detail V2 forms
(Get Customer Detail v2), cds_common.json 1.36.0; CommonPhysicalAddress is shared with
Account Detail."""

from __future__ import annotations

from typing import Any

from bank.api.formatting import date_string, datetime_string
from bank.api.serializers import CdrSerializer

clean = CdrSerializer.without_empty

_PAF_FIELDS = (
    ("dpid", "dpid"),
    ("thoroughfareNumber1", "thoroughfare_number1"),
    ("thoroughfareNumber1Suffix", "thoroughfare_number1_suffix"),
    ("thoroughfareNumber2", "thoroughfare_number2"),
    ("thoroughfareNumber2Suffix", "thoroughfare_number2_suffix"),
    ("flatUnitType", "flat_unit_type"),
    ("flatUnitNumber", "flat_unit_number"),
    ("floorLevelType", "floor_level_type"),
    ("floorLevelNumber", "floor_level_number"),
    ("lotNumber", "lot_number"),
    ("buildingName1", "building_name1"),
    ("buildingName2", "building_name2"),
    ("streetName", "street_name"),
    ("streetType", "street_type"),
    ("streetSuffix", "street_suffix"),
    ("postalDeliveryType", "postal_delivery_type"),
    ("postalDeliveryNumber", "postal_delivery_number"),
    ("postalDeliveryNumberPrefix", "postal_delivery_number_prefix"),
    ("postalDeliveryNumberSuffix", "postal_delivery_number_suffix"),
    ("localityName", "locality_name"),
    ("postcode", "postcode"),
    ("state", "state"),
)


def address_representation(address: Any) -> dict[str, Any]:
    """CommonPhysicalAddress: `simple` or `paf`, as its addressUType says."""
    if address.address_utype == "paf":
        return {
            "addressUType": "paf",
            "paf": clean({k: getattr(address, f) for k, f in _PAF_FIELDS}),
        }
    simple = clean(
        {
            "mailingName": address.mailing_name,
            "addressLine1": address.address_line1,
            "addressLine2": address.address_line2,
            "addressLine3": address.address_line3,
            "postcode": address.postcode,
            "city": address.city,
            "state": address.state,
            "country": address.country,
        }
    )
    return {"addressUType": "simple", "simple": simple}


def _person(customer: Any) -> dict[str, Any]:
    return clean(
        {
            "lastUpdateTime": datetime_string(customer.last_update_time),
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "middleNames": list(customer.middle_names or []),
            "prefix": customer.prefix,
            "suffix": customer.suffix,
            "occupationCode": customer.occupation_code,
            "occupationCodeVersion": customer.occupation_code_version,
        }
    )


def _organisation(customer: Any) -> dict[str, Any]:
    return clean(
        {
            "lastUpdateTime": datetime_string(customer.last_update_time),
            "agentFirstName": customer.agent_first_name,
            "agentLastName": customer.agent_last_name,
            "agentRole": customer.agent_role,
            "businessName": customer.business_name,
            "legalName": customer.legal_name,
            "shortName": customer.short_name,
            "abn": customer.abn,
            "acn": customer.acn,
            "isACNCRegistered": customer.is_acnc_registered,
            "industryCode": customer.industry_code,
            "industryCodeVersion": customer.industry_code_version,
            "organisationType": customer.organisation_type,
            "registeredCountry": customer.registered_country,
            "establishmentDate": date_string(customer.establishment_date),
        }
    )


def _addresses(customer: Any) -> list[dict[str, Any]]:
    return [
        {**address_representation(a), "purpose": a.purpose}
        for a in customer.physical_addresses.all()
    ]


class CustomerOutputSerializer(CdrSerializer):
    """ResponseCommonCustomer.data"""

    def to_representation(self, customer: Any) -> dict[str, Any]:
        if customer.is_person:
            return {"customerUType": "person", "person": _person(customer)}
        return {"customerUType": "organisation", "organisation": _organisation(customer)}


class CustomerDetailOutputSerializer(CdrSerializer):
    """ResponseCommonCustomerDetailV2.data"""

    def to_representation(self, customer: Any) -> dict[str, Any]:
        if not customer.is_person:
            organisation = {**_organisation(customer), "physicalAddresses": _addresses(customer)}
            return {"customerUType": "organisation", "organisation": organisation}
        person = {
            **_person(customer),
            "phoneNumbers": [
                clean(
                    {
                        "isPreferred": p.is_preferred,
                        "purpose": p.purpose,
                        "countryCode": p.country_code,
                        "areaCode": p.area_code,
                        "number": p.number,
                        "extension": p.extension,
                        "fullNumber": p.full_number,
                    }
                )
                for p in customer.phone_numbers.all()
            ],
            "emailAddresses": [
                clean({"isPreferred": e.is_preferred, "purpose": e.purpose, "address": e.address})
                for e in customer.email_addresses.all()
            ],
            "physicalAddresses": _addresses(customer),
        }
        return {"customerUType": "person", "person": person}

"""Customers (CDR CommonPerson / CommonOrganisation) and the users who log in for them.

Names, contact details, ABN/ACN and dates of birth are sensitive: plain columns for now, no
index and no unique constraint on them, because a later issue swaps them for encrypted
fields (and an encrypted column cannot be searched or indexed by value).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts import choices
from accounts.choices import choices_check
from accounts.models.validators import validate_string_list
from security.encryption.fields import (
    BlindIndexField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedEmailField,
    EncryptedJSONField,
    EncryptedModel,
    normalise_default,
)

#: Personal data is encrypted under the customer's own key (crypto-shredding): on Customer
#: itself, and on the rows that belong to a customer.
OWN_KEY = {"key": "customer", "owner": "self"}
CUSTOMER_KEY = {"key": "customer", "owner": "customer"}


class User(AbstractUser):
    """A login. Customers log in with `username` as their customer identifier; staff have
    no customer."""

    customer = models.ForeignKey(
        "Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                condition=Q(is_staff=False) | Q(customer__isnull=True),
                name="user_staff_has_no_customer",
                violation_error_message="A staff user cannot act for a customer.",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.is_staff and self.customer_id is not None:
            raise ValidationError({"customer": "A staff user cannot act for a customer."})


class Customer(EncryptedModel):
    """A bank customer: a person or an organisation (CDR customerUType)."""

    customer_type = models.CharField(max_length=16, choices=choices.CustomerType.choices)
    last_update_time = models.DateTimeField()

    # CommonPerson
    first_name = EncryptedCharField(max_length=100, blank=True, default="", **OWN_KEY)
    last_name = EncryptedCharField(max_length=100, blank=True, default="", **OWN_KEY)
    middle_names = EncryptedJSONField(
        default=list, blank=True, validators=[validate_string_list], **OWN_KEY
    )
    prefix = EncryptedCharField(max_length=20, blank=True, default="", **OWN_KEY)
    suffix = EncryptedCharField(max_length=20, blank=True, default="", **OWN_KEY)
    occupation_code = models.CharField(max_length=16, blank=True, default="")
    occupation_code_version = models.CharField(
        max_length=32, blank=True, default="", choices=choices.OccupationCodeVersion.choices
    )
    date_of_birth = EncryptedDateField(null=True, blank=True, **OWN_KEY)

    # CommonOrganisation
    agent_first_name = EncryptedCharField(max_length=100, blank=True, default="", **OWN_KEY)
    agent_last_name = EncryptedCharField(max_length=100, blank=True, default="", **OWN_KEY)
    agent_role = models.CharField(max_length=100, blank=True, default="")
    business_name = EncryptedCharField(max_length=200, blank=True, default="", **OWN_KEY)
    legal_name = EncryptedCharField(max_length=200, blank=True, default="", **OWN_KEY)
    short_name = EncryptedCharField(max_length=100, blank=True, default="", **OWN_KEY)
    abn = EncryptedCharField("ABN", max_length=14, blank=True, default="", **OWN_KEY)
    acn = EncryptedCharField("ACN", max_length=11, blank=True, default="", **OWN_KEY)
    is_acnc_registered = models.BooleanField("ACNC registered", null=True, blank=True)
    industry_code = models.CharField(max_length=16, blank=True, default="")
    industry_code_version = models.CharField(
        max_length=32, blank=True, default="", choices=choices.IndustryCodeVersion.choices
    )
    organisation_type = models.CharField(
        max_length=20, blank=True, default="", choices=choices.OrganisationType.choices
    )
    registered_country = models.CharField(max_length=3, blank=True, default="")
    establishment_date = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        permissions = [("lock_customer", "Can lock or unlock a customer's login")]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("customer_type", choices.CustomerType),
                name="customer_type_valid",
            ),
            models.CheckConstraint(
                condition=~Q(customer_type=choices.CustomerType.PERSON)
                | (~Q(last_name="") & Q(business_name="")),
                name="customer_person_has_last_name_no_business",
                violation_error_message="A person has a last name and no business name.",
            ),
            models.CheckConstraint(
                condition=~Q(customer_type=choices.CustomerType.ORGANISATION)
                | (
                    ~Q(business_name="")
                    & ~Q(agent_last_name="")
                    & ~Q(agent_role="")
                    & ~Q(organisation_type="")
                ),
                name="customer_organisation_required_fields",
                violation_error_message=(
                    "An organisation has a business name, agent last name, agent role and "
                    "organisation type."
                ),
            ),
            models.CheckConstraint(
                condition=choices_check(
                    "organisation_type", choices.OrganisationType, blank=True
                ),
                name="customer_organisation_type_valid",
            ),
        ]

    def __str__(self) -> str:
        # Pseudonymous on purpose: __str__ ends up in logs, admin history and error pages.
        return f"Customer #{self.pk} ({self.customer_type})"

    @property
    def is_person(self) -> bool:
        return self.customer_type == choices.CustomerType.PERSON

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.customer_type == choices.CustomerType.PERSON:
            if not self.last_name:
                errors["last_name"] = "A person needs a last name."
            if self.business_name:
                errors["business_name"] = "A person has no business name."
        elif self.customer_type == choices.CustomerType.ORGANISATION:
            for field in ("business_name", "agent_last_name", "agent_role", "organisation_type"):
                if not getattr(self, field):
                    errors[field] = "Required for an organisation."
        if errors:
            raise ValidationError(errors)


class CustomerPhoneNumber(EncryptedModel):
    """CommonPhoneNumber."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phone_numbers")
    position = models.PositiveIntegerField(default=0)
    is_preferred = models.BooleanField(default=False)
    purpose = models.CharField(max_length=16, choices=choices.PhonePurpose.choices)
    country_code = models.CharField(max_length=6, blank=True, default="")
    area_code = models.CharField(max_length=6, blank=True, default="")
    number = EncryptedCharField(max_length=20, **CUSTOMER_KEY)
    extension = EncryptedCharField(max_length=10, blank=True, default="", **CUSTOMER_KEY)
    full_number = EncryptedCharField(
        max_length=40, help_text="RFC 3966 form, e.g. tel:+61-2-9000-0000", **CUSTOMER_KEY
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(number="") & ~Q(full_number=""), name="phone_number_present"
            ),
            models.CheckConstraint(
                condition=choices_check("purpose", choices.PhonePurpose),
                name="phone_purpose_valid",
            ),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_preferred=True),
                name="phone_one_preferred_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"Phone #{self.pk} ({self.purpose})"


class CustomerEmailAddress(EncryptedModel):
    """CommonEmailAddress."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="email_addresses"
    )
    position = models.PositiveIntegerField(default=0)
    is_preferred = models.BooleanField(default=False)
    purpose = models.CharField(max_length=16, choices=choices.EmailPurpose.choices)
    address = EncryptedEmailField(max_length=254, **CUSTOMER_KEY)
    # Equality lookups ("which customer has this email?") without decrypting every row.
    address_index = BlindIndexField(source="address", normalise=normalise_default)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(address=""), name="email_address_present"),
            models.CheckConstraint(
                condition=choices_check("purpose", choices.EmailPurpose),
                name="email_purpose_valid",
            ),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_preferred=True),
                name="email_one_preferred_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"Email #{self.pk} ({self.purpose})"


class CustomerAddress(EncryptedModel):
    """CommonPhysicalAddressWithPurpose: a simple address or an Australia Post PAF one."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="physical_addresses"
    )
    position = models.PositiveIntegerField(default=0)
    purpose = models.CharField(max_length=16, choices=choices.AddressPurpose.choices)
    address_utype = models.CharField(max_length=8, choices=choices.AddressUType.choices)
    # Shared by both forms.
    postcode = models.CharField(max_length=10, blank=True, default="")
    state = models.CharField(max_length=50, blank=True, default="")
    # CommonSimpleAddress
    mailing_name = EncryptedCharField(max_length=200, blank=True, default="", **CUSTOMER_KEY)
    address_line1 = EncryptedCharField(max_length=200, blank=True, default="", **CUSTOMER_KEY)
    address_line2 = EncryptedCharField(max_length=200, blank=True, default="", **CUSTOMER_KEY)
    address_line3 = EncryptedCharField(max_length=200, blank=True, default="", **CUSTOMER_KEY)
    city = models.CharField(max_length=100, blank=True, default="")
    country = models.CharField(max_length=3, blank=True, default="AUS")
    # CommonPAFAddress
    dpid = EncryptedCharField(max_length=8, blank=True, default="", **CUSTOMER_KEY)
    thoroughfare_number1 = models.PositiveIntegerField(null=True, blank=True)
    thoroughfare_number1_suffix = models.CharField(max_length=2, blank=True, default="")
    thoroughfare_number2 = models.PositiveIntegerField(null=True, blank=True)
    thoroughfare_number2_suffix = models.CharField(max_length=2, blank=True, default="")
    flat_unit_type = models.CharField(max_length=20, blank=True, default="")
    flat_unit_number = EncryptedCharField(max_length=10, blank=True, default="", **CUSTOMER_KEY)
    floor_level_type = models.CharField(max_length=20, blank=True, default="")
    floor_level_number = EncryptedCharField(max_length=10, blank=True, default="", **CUSTOMER_KEY)
    lot_number = EncryptedCharField(max_length=10, blank=True, default="", **CUSTOMER_KEY)
    building_name1 = EncryptedCharField(max_length=100, blank=True, default="", **CUSTOMER_KEY)
    building_name2 = EncryptedCharField(max_length=100, blank=True, default="", **CUSTOMER_KEY)
    street_name = EncryptedCharField(max_length=100, blank=True, default="", **CUSTOMER_KEY)
    street_type = models.CharField(max_length=20, blank=True, default="")
    street_suffix = models.CharField(max_length=10, blank=True, default="")
    postal_delivery_type = models.CharField(max_length=20, blank=True, default="")
    postal_delivery_number = models.PositiveIntegerField(null=True, blank=True)
    postal_delivery_number_prefix = models.CharField(max_length=5, blank=True, default="")
    postal_delivery_number_suffix = models.CharField(max_length=5, blank=True, default="")
    locality_name = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("purpose", choices.AddressPurpose),
                name="address_purpose_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(address_utype=choices.AddressUType.SIMPLE)
                    & ~Q(address_line1="") & ~Q(city="") & ~Q(state="")
                )
                | (
                    Q(address_utype=choices.AddressUType.PAF)
                    & ~Q(locality_name="") & ~Q(postcode="") & ~Q(state="")
                ),
                name="address_required_fields_for_utype",
                violation_error_message=(
                    "A simple address needs line 1, city and state; a PAF address needs "
                    "locality, postcode and state."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Address #{self.pk} ({self.purpose}, {self.address_utype})"

    def clean(self) -> None:
        super().clean()
        required = {
            choices.AddressUType.SIMPLE: ("address_line1", "city", "state"),
            choices.AddressUType.PAF: ("locality_name", "postcode", "state"),
        }.get(self.address_utype, ())  # type: ignore[call-overload]
        errors: dict[str, Any] = {
            field: f"Required for a {self.address_utype} address."
            for field in required
            if not getattr(self, field)
        }
        if errors:
            raise ValidationError(errors)

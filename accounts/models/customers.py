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


class Customer(models.Model):
    """A bank customer: a person or an organisation (CDR customerUType)."""

    customer_type = models.CharField(max_length=16, choices=choices.CustomerType.choices)
    last_update_time = models.DateTimeField()

    # CommonPerson
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    middle_names = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    prefix = models.CharField(max_length=20, blank=True, default="")
    suffix = models.CharField(max_length=20, blank=True, default="")
    occupation_code = models.CharField(max_length=16, blank=True, default="")
    occupation_code_version = models.CharField(
        max_length=32, blank=True, default="", choices=choices.OccupationCodeVersion.choices
    )
    date_of_birth = models.DateField(null=True, blank=True)

    # CommonOrganisation
    agent_first_name = models.CharField(max_length=100, blank=True, default="")
    agent_last_name = models.CharField(max_length=100, blank=True, default="")
    agent_role = models.CharField(max_length=100, blank=True, default="")
    business_name = models.CharField(max_length=200, blank=True, default="")
    legal_name = models.CharField(max_length=200, blank=True, default="")
    short_name = models.CharField(max_length=100, blank=True, default="")
    abn = models.CharField("ABN", max_length=14, blank=True, default="")
    acn = models.CharField("ACN", max_length=11, blank=True, default="")
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


class CustomerPhoneNumber(models.Model):
    """CommonPhoneNumber."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phone_numbers")
    position = models.PositiveIntegerField(default=0)
    is_preferred = models.BooleanField(default=False)
    purpose = models.CharField(max_length=16, choices=choices.PhonePurpose.choices)
    country_code = models.CharField(max_length=6, blank=True, default="")
    area_code = models.CharField(max_length=6, blank=True, default="")
    number = models.CharField(max_length=20)
    extension = models.CharField(max_length=10, blank=True, default="")
    full_number = models.CharField(
        max_length=40, help_text="RFC 3966 form, e.g. tel:+61-2-9000-0000"
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


class CustomerEmailAddress(models.Model):
    """CommonEmailAddress."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="email_addresses"
    )
    position = models.PositiveIntegerField(default=0)
    is_preferred = models.BooleanField(default=False)
    purpose = models.CharField(max_length=16, choices=choices.EmailPurpose.choices)
    address = models.EmailField(max_length=254)

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


class CustomerAddress(models.Model):
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
    mailing_name = models.CharField(max_length=200, blank=True, default="")
    address_line1 = models.CharField(max_length=200, blank=True, default="")
    address_line2 = models.CharField(max_length=200, blank=True, default="")
    address_line3 = models.CharField(max_length=200, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    country = models.CharField(max_length=3, blank=True, default="AUS")
    # CommonPAFAddress
    dpid = models.CharField(max_length=8, blank=True, default="")
    thoroughfare_number1 = models.PositiveIntegerField(null=True, blank=True)
    thoroughfare_number1_suffix = models.CharField(max_length=2, blank=True, default="")
    thoroughfare_number2 = models.PositiveIntegerField(null=True, blank=True)
    thoroughfare_number2_suffix = models.CharField(max_length=2, blank=True, default="")
    flat_unit_type = models.CharField(max_length=20, blank=True, default="")
    flat_unit_number = models.CharField(max_length=10, blank=True, default="")
    floor_level_type = models.CharField(max_length=20, blank=True, default="")
    floor_level_number = models.CharField(max_length=10, blank=True, default="")
    lot_number = models.CharField(max_length=10, blank=True, default="")
    building_name1 = models.CharField(max_length=100, blank=True, default="")
    building_name2 = models.CharField(max_length=100, blank=True, default="")
    street_name = models.CharField(max_length=100, blank=True, default="")
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

from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    """CDR discovery: service status and planned outages, edited by staff in the admin."""

    name = "bank.discovery"
    label = "discovery"
    verbose_name = "Service status and outages"

from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "preau.provisioning"
    label = "provisioning"

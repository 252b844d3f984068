"""AdminCredentials: the fleets' local administrator password and the AD DS join password.

Both stay Pulumi secrets end to end: they come from `pulumi config set --secret`, or the admin
password from pulumi-random's RandomPassword, whose result Pulumi stores encrypted.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_random as random


class AdminCredentials(pulumi.ComponentResource):
    password: pulumi.Output[str]
    domain_join_password: Optional[pulumi.Output[str]]

    def __init__(self, name: str, admin_password: Optional[pulumi.Output[str]],
                 domain_join_password: Optional[pulumi.Output[str]], opts: pulumi.ResourceOptions | None = None):
        super().__init__("image-factory:credentials:AdminCredentials", name, None, opts)
        if admin_password is None:
            # Windows wants three of four character classes; ask for all four, and only specials
            # that survive PowerShell, JSON and unattend.xml unquoted.
            generated = random.RandomPassword(
                "admin-password", length=24, special=True, override_special="!#%*()-_=+[]{}:?",
                min_upper=2, min_lower=2, min_numeric=2, min_special=2,
                opts=pulumi.ResourceOptions(parent=self))
            admin_password = generated.result
        self.password = pulumi.Output.secret(admin_password)
        self.domain_join_password = pulumi.Output.secret(domain_join_password) if domain_join_password else None
        self.register_outputs({})

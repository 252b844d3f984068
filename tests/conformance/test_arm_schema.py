"""The validator against Azure's real published types: each test is a mistake the conformance test
must catch (or a correct body it must not reject), so a bug here would silently weaken that test."""

from __future__ import annotations

import copy

import pytest

from tests.conformance.arm_schema import find_schema_dir, load_resource_type, to_arm_body, validate
from offline.azure_types import AzureType

SUB = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-images"
UAI = f"{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aib"
GALLERY_IMAGE = f"{SUB}/providers/Microsoft.Compute/galleries/acg_golden/images/win2022"
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _schema(schema_dir, arm_type, version):
    s = load_resource_type(arm_type, version, schema_dir)
    assert s is not None, f"{arm_type}@{version} not in {schema_dir}"
    return s


@pytest.fixture(scope="module")
def template_schema(schema_dir):
    return _schema(schema_dir, "Microsoft.VirtualMachineImages/imageTemplates", "2024-02-01")


@pytest.fixture(scope="module")
def gallery_image_schema(schema_dir):
    return _schema(schema_dir, "Microsoft.Compute/galleries/images", "2024-03-03")


@pytest.fixture
def template():
    """An ARM body shaped like the golden-image template the program builds."""
    return {
        "location": "westeurope",
        "tags": {"workload": "image-factory", "cost center": "platform"},
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {UAI: {}}},
        "properties": {
            "source": {"type": "PlatformImage", "publisher": "MicrosoftWindowsServer",
                       "offer": "WindowsServer", "sku": "2022-datacenter-azure-edition", "version": "latest"},
            "customize": [
                {"type": "PowerShell", "name": "baseline", "scriptUri": "https://example.org/baseline.ps1",
                 "sha256Checksum": SHA, "runElevated": True, "runAsSystem": True},
                {"type": "WindowsRestart", "restartTimeout": "10m"},
                {"type": "WindowsUpdate", "searchCriteria": "IsInstalled=0",
                 "filters": ["exclude:$_.Title -like '*Preview*'"], "updateLimit": 40},
                {"type": "File", "sourceUri": "https://example.org/app.zip", "destination": "C:\\app.zip"},
            ],
            "distribute": [{
                "type": "SharedImage", "runOutputName": "win2022-golden.v1", "galleryImageId": GALLERY_IMAGE,
                "targetRegions": [{"name": "westeurope", "replicaCount": 2, "storageAccountType": "Standard_ZRS"}],
                "versioning": {"scheme": "Latest", "major": 1},
                "artifactTags": {"source": "aib"},
            }],
            "vmProfile": {"vmSize": "Standard_D4s_v5", "osDiskSizeGB": 127},
            "buildTimeoutInMinutes": 120,
            "autoRun": {"state": "Disabled"},
        },
    }


def test_realistic_template_is_valid(template_schema, template):
    assert validate(template, template_schema) == []


def test_property_names_are_case_sensitive(template_schema, template):
    template["properties"]["VMProfile"] = template["properties"].pop("vmProfile")
    assert validate(template, template_schema) == [
        "properties.VMProfile: unknown property (did you mean 'vmProfile'? names are case-sensitive)"]


@pytest.mark.parametrize("prop", ["distribute", "source"])
def test_missing_required_property(template_schema, template, prop):
    del template["properties"][prop]
    assert validate(template, template_schema) == [f"properties.{prop}: required property missing"]


def test_nested_required_name_is_enforced(template_schema, template):
    # Only the resource's own `name` comes from the URL; a target region's name must be sent.
    del template["properties"]["distribute"][0]["targetRegions"][0]["name"]
    assert validate(template, template_schema) == [
        "properties.distribute[0].targetRegions[0].name: required property missing"]


def test_customizer_with_unknown_type(template_schema, template):
    template["properties"]["customize"][1] = {"type": "Bash", "inline": ["echo hi"]}
    (err,) = validate(template, template_schema)
    assert err.startswith("properties.customize[1].type: unknown type 'Bash'")


def test_customizer_properties_follow_its_type(template_schema, template):
    # `inline` is legal on PowerShell but not on WindowsRestart: the discriminator picks the shape.
    template["properties"]["customize"][1]["inline"] = ["Restart-Computer"]
    assert validate(template, template_schema) == ["properties.customize[1].inline: unknown property"]


def test_distributor_without_type(template_schema, template):
    del template["properties"]["distribute"][0]["type"]
    (err,) = validate(template, template_schema)
    assert err.startswith("properties.distribute[0].type: missing discriminator")


def test_storage_account_type_is_an_open_enum(template_schema, template):
    # The published schema models storageAccountType as Standard_LRS|Standard_ZRS|Premium_LRS|string
    # (x-ms-enum modelAsString), so Standard_GRS is NOT a schema error; the validator must not invent one.
    template["properties"]["distribute"][0]["targetRegions"][0]["storageAccountType"] = "Standard_GRS"
    assert validate(template, template_schema) == []
    template["properties"]["distribute"][0]["targetRegions"][0]["storageAccountType"] = 3
    assert validate(template, template_schema) == [
        "properties.distribute[0].targetRegions[0].storageAccountType: 3 is not one of "
        "['Standard_LRS', 'Standard_ZRS', 'Premium_LRS']"]


def test_closed_enum_rejects_other_values(template_schema, template):
    template["identity"]["type"] = "SystemAssigned"  # Image Builder only takes user-assigned identities
    template["properties"]["autoRun"]["state"] = "enabled"  # closed enums are case-sensitive too
    assert validate(template, template_schema) == [
        "identity.type: 'SystemAssigned' is not one of ['UserAssigned', 'None']",
        "properties.autoRun.state: 'enabled' is not one of ['Enabled', 'Disabled']",
    ]


@pytest.mark.parametrize("minutes, ok", [(960, True), (961, False), (0, True), (-1, False),
                                         (120.0, True), (120.5, False), (True, False)])
def test_build_timeout_bounds(template_schema, template, minutes, ok):
    template["properties"]["buildTimeoutInMinutes"] = minutes
    errors = validate(template, template_schema)
    assert (errors == []) is ok, errors
    assert all(e.startswith("properties.buildTimeoutInMinutes: ") for e in errors)


@pytest.mark.parametrize("name, ok", [("bad name!", False), ("", False), ("x" * 65, False),
                                      ("win2022-golden.v1", True), ("x" * 64, True)])
def test_run_output_name_pattern(template_schema, template, name, ok):
    template["properties"]["distribute"][0]["runOutputName"] = name
    errors = validate(template, template_schema)
    assert (errors == []) is ok, errors


@pytest.mark.parametrize("prop, value", [("provisioningState", "Succeeded"),
                                         ("lastRunStatus", {"runState": "Succeeded"}),
                                         ("exactStagingResourceGroup", "IT_rg_images_x")])
def test_read_only_property_must_not_be_sent(template_schema, template, prop, value):
    template["properties"][prop] = value
    assert validate(template, template_schema) == [f"properties.{prop}: read-only property must not be sent"]


def test_read_only_inside_discriminated_element(template_schema, template):
    template["properties"]["source"]["exactVersion"] = "20348.1.1"
    assert validate(template, template_schema) == ["properties.source.exactVersion: read-only property must not be sent"]


def test_placeholders_stand_for_any_value(template_schema, template):
    p = template["properties"]
    p["source"] = "[unknown]"  # an object
    p["buildTimeoutInMinutes"] = "[unknown]"  # an integer
    p["distribute"][0]["galleryImageId"] = "[unknown]"
    p["customize"][0]["scriptUri"] = "[secret]"
    template["identity"]["userAssignedIdentities"] = "[unknown]"
    assert validate(template, template_schema) == []
    p["buildTimeoutInMinutes"] = "[computed]"  # only the two harness placeholders are special
    assert validate(template, template_schema) == [
        "properties.buildTimeoutInMinutes: expected integer, got '[computed]'"]


def test_map_values_are_typed_and_keys_quoted(template_schema, template):
    template["tags"]["cost center"] = 42
    assert validate(template, template_schema) == ['tags["cost center"]: expected string, got int']


def test_every_error_is_reported(template_schema, template):
    p = template["properties"]
    del p["source"]
    p["buildTimeoutInMinutes"] = 961
    p["customize"][0]["sha256Checksum"] = 7
    assert len(validate(template, template_schema)) == 3


def _gallery_image(os_type="Windows"):
    return {"location": "westeurope", "properties": {
        "osType": os_type, "osState": "Generalized", "hyperVGeneration": "V2",
        "identifier": {"publisher": "contoso", "offer": "golden", "sku": "win2022"},
        "features": [{"name": "SecurityType", "value": "TrustedLaunch"}]}}


def test_gallery_image_valid_and_invalid_os_type(gallery_image_schema):
    assert validate(_gallery_image(), gallery_image_schema) == []
    assert validate(_gallery_image("windows"), gallery_image_schema) == [
        "properties.osType: 'windows' is not one of ['Windows', 'Linux']"]


# --- version selection --------------------------------------------------------------------------

@pytest.mark.parametrize("arm_type, requested, used", [
    ("Microsoft.VirtualMachineImages/imageTemplates", "2024-02-01", "2024-02-01"),  # exact
    ("Microsoft.VirtualMachineImages/imageTemplates", "2023-07-01", "2024-02-01"),  # newer, not older 2022-07-01
    ("Microsoft.Compute/galleries", "2024-03-03", "2025-12-03"),
    ("Microsoft.Compute/galleries/images/versions", "2024-03-03", "2025-12-03"),
    # 2025-12-03 exists for the namespace but holds no virtualMachines: skip to the next that does.
    ("Microsoft.Compute/virtualMachines", "2024-11-01", "2026-04-01"),
    ("microsoft.compute/VIRTUALMACHINESCALESETS", "2024-11-01", "2026-04-01"),  # ARM types ignore case
    ("Microsoft.ManagedIdentity/userAssignedIdentities", "2023-01-31", "2024-11-30"),
])
def test_version_selection(schema_dir, arm_type, requested, used):
    s = load_resource_type(arm_type, requested, schema_dir)
    assert (s.version, s.requested_version) == (used, requested)
    assert s.types[s.body]["name"].lower() == arm_type.lower()


@pytest.mark.parametrize("arm_type, version", [
    ("Microsoft.Storage/storageAccounts", "2024-01-01"),  # a namespace the snapshot lacks
    ("Microsoft.Compute/galleries", "2026-01-01"),  # nothing newer in the snapshot: never fall back to older
])
def test_no_schema_returns_none(schema_dir, arm_type, version):
    assert load_resource_type(arm_type, version, schema_dir) is None


def test_schema_dir_accepts_each_level(schema_dir, monkeypatch, tmp_path):
    for level in (schema_dir.parent.parent, schema_dir.parent, schema_dir):
        monkeypatch.setenv("AZURE_SCHEMA_DIR", str(level))
        assert find_schema_dir() == schema_dir
    monkeypatch.setenv("AZURE_SCHEMA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="bicep-types-az"):
        find_schema_dir()


# --- azure-native inputs -> ARM body ------------------------------------------------------------

def test_to_arm_body_image_template(template_schema, template):
    props = template["properties"]
    inputs = {"resourceGroupName": "rg-images", "imageTemplateName": "it-win2022",
              "location": template["location"], "tags": template["tags"],
              # azure-native takes identities as a list of IDs and sends the ARM map.
              "identity": {"type": "UserAssigned", "userAssignedIdentities": [UAI]},
              **copy.deepcopy(props)}
    body = to_arm_body("azure-native:virtualmachineimages:VirtualMachineImageTemplate", inputs)
    assert body == {**template, "name": "it-win2022"}
    assert validate(body, template_schema) == []


def test_to_arm_body_checks_the_name_from_the_path(template_schema, template):
    inputs = {"resourceGroupName": "rg-images", "imageTemplateName": "it win2022", **copy.deepcopy(template)}
    body = to_arm_body("azure-native:virtualmachineimages:VirtualMachineImageTemplate", inputs)
    assert body["name"] == "it win2022"
    assert validate(body, template_schema) == [
        "name: 'it win2022' does not match pattern '^[A-Za-z0-9-_.]{1,64}$'"]


@pytest.mark.parametrize("name, ok", [("acg_golden", True), ("acg.golden-1", True),
                                      ("_acg", False), ("acg-", False), ("acg golden", False)])
def test_gallery_name_dotnet_pattern(schema_dir, name, ok):
    # '^[^_\W][\w-._]{0,79}(?<![-.])$' is .NET syntax that Python's re rejects as written.
    body = to_arm_body("azure-native:compute:Gallery", {"resourceGroupName": "rg", "galleryName": name,
                                                        "location": "westeurope"})
    errors = validate(body, _schema(schema_dir, "Microsoft.Compute/galleries", "2024-03-03"))
    assert (errors == []) is ok, errors


def test_to_arm_body_renests_client_flattened_objects(schema_dir):
    nic = f"{SUB}/providers/Microsoft.Network/networkInterfaces/nic-0"
    inputs = {"resourceGroupName": "rg", "vmName": "vm-0", "location": "westeurope", "zones": ["1"],
              "hardwareProfile": {"vmSize": "Standard_D4s_v5"},
              "networkProfile": {"networkInterfaces": [{"id": nic, "primary": True, "deleteOption": "Delete"}]},
              "osProfile": {"computerName": "vm-0", "adminUsername": "azureadmin", "adminPassword": "[secret]"}}
    body = to_arm_body("azure-native:compute:VirtualMachine", inputs)
    assert body["zones"] == ["1"] and "vmName" not in body and "resourceGroupName" not in body
    assert body["properties"]["networkProfile"]["networkInterfaces"] == [
        {"id": nic, "properties": {"primary": True, "deleteOption": "Delete"}}]
    assert validate(body, _schema(schema_dir, "Microsoft.Compute/virtualMachines", "2024-11-01")) == []


def test_to_arm_body_extension_type_goes_under_properties(schema_dir):
    # Top-level `type` is the read-only resource type; azure-native's `type` input is properties.type.
    inputs = {"resourceGroupName": "rg", "vmName": "vm-0", "vmExtensionName": "aad", "location": "westeurope",
              "publisher": "Microsoft.Azure.ActiveDirectory", "type": "AADLoginForWindows",
              "typeHandlerVersion": "2.0", "autoUpgradeMinorVersion": True, "provisioningState": "Succeeded"}
    body = to_arm_body("azure-native:compute:VirtualMachineExtension", inputs)
    assert body["properties"]["type"] == "AADLoginForWindows" and "type" not in body
    schema = _schema(schema_dir, "Microsoft.Compute/virtualMachines/extensions", "2024-11-01")
    assert validate(body, schema) == ["properties.provisioningState: read-only property must not be sent"]


def test_to_arm_body_unknown_token_fails_loudly():
    with pytest.raises(KeyError, match="azure_types.py"):
        to_arm_body("azure-native:compute:DiskEncryptionSet", {})


def test_to_arm_body_without_schema_uses_arm_envelope(schema_dir):
    storage = AzureType("azure-native:storage:StorageAccount", "Microsoft.Storage/storageAccounts", "2024-01-01",
                        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
                        "/providers/Microsoft.Storage/storageAccounts/{accountName}")
    body = to_arm_body(storage, {"resourceGroupName": "rg", "accountName": "st1", "location": "westeurope",
                                 "kind": "StorageV2", "minimumTlsVersion": "TLS1_2"})
    assert body == {"location": "westeurope", "kind": "StorageV2", "properties": {"minimumTlsVersion": "TLS1_2"}}


def test_to_arm_body_sends_renamed_inputs_under_their_arm_name(schema_dir):
    # azure-native calls RoleDefinitionProperties.type `roleType` (x-ms-client-name); ARM wants `type`.
    inputs = {"scope": "/subscriptions/s/resourceGroups/rg", "roleDefinitionId": "0f8fad5b-d9cb-469f-a165-70867728950e",
              "roleName": "r", "roleType": "CustomRole", "assignableScopes": ["/subscriptions/s/resourceGroups/rg"],
              "permissions": [{"actions": ["Microsoft.Compute/galleries/read"], "notActions": []}]}
    body = to_arm_body("azure-native:authorization:RoleDefinition", inputs)
    assert body["properties"]["type"] == "CustomRole" and "roleType" not in body["properties"]
    schema = _schema(schema_dir, "Microsoft.Authorization/roleDefinitions", "2022-05-01-preview")
    assert validate(body, schema) == []


def test_to_arm_body_trigger_kind_is_nested(schema_dir):
    inputs = {"resourceGroupName": "rg", "imageTemplateName": "it-win2022", "triggerName": "source-image",
              "kind": "SourceImage"}
    body = to_arm_body("azure-native:virtualmachineimages:Trigger", inputs)
    assert body == {"name": "source-image", "properties": {"kind": "SourceImage"}}
    schema = _schema(schema_dir, "Microsoft.VirtualMachineImages/imageTemplates/triggers", "2024-02-01")
    assert validate(body, schema) == []
    body["properties"]["kind"] = "Schedule"
    assert validate(body, schema)[0].startswith("properties.kind: unknown kind 'Schedule'")


def test_default_location_fills_only_when_missing(schema_dir):
    # azure-native fills a missing location itself (provider config, else the resource group's).
    inputs = {"resourceGroupName": "rg", "resourceName": "id-aib"}
    body = to_arm_body("azure-native:managedidentity:UserAssignedIdentity", inputs, default_location="westeurope")
    assert body["location"] == "westeurope"
    body = to_arm_body("azure-native:managedidentity:UserAssignedIdentity", {**inputs, "location": "northeurope"},
                       default_location="westeurope")
    assert body["location"] == "northeurope"
    schema = _schema(schema_dir, "Microsoft.ManagedIdentity/userAssignedIdentities", "2023-01-31")
    assert validate(to_arm_body("azure-native:managedidentity:UserAssignedIdentity", inputs), schema) == [
        "location: required property missing"]

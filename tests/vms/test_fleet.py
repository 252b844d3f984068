import json

from tests.graph import EXTENSION, FLEET, NIC, VM, VMSS, depends_on, each, resources, under
from offline.plan import plan


def fleet_vms(doc: dict, fleet: str) -> list[dict]:
    return sorted((r for r in resources(doc, VM) if r["parent"].endswith(f"{FLEET}::{fleet}")),
                  key=lambda r: r["name"])


def test_fleet_counts_zones_and_names_per_stack(plans):
    prod = plans["prod"]
    lon = fleet_vms(prod, "lon-app")
    assert [v["inputs"]["vmName"] for v in lon] == [f"vm-lon-app-{i:03d}" for i in range(6)]
    assert [v["inputs"]["osProfile"]["computerName"] for v in lon] == [f"lonapp{i:03d}" for i in range(6)]
    assert [v["inputs"]["zones"] for v in lon] == [["1"], ["2"], ["3"], ["1"], ["2"], ["3"]]
    assert len(fleet_vms(prod, "nyc-app")) == 6
    scale_sets = {r["inputs"]["vmScaleSetName"]: r["inputs"] for r in resources(prod, VMSS)}
    assert {n: s["sku"]["capacity"] for n, s in scale_sets.items()} == {"vmss-lon-web": 80, "vmss-nyc-web": 120}
    assert scale_sets["vmss-nyc-web"]["zones"] == ["1", "2", "3"]
    assert scale_sets["vmss-nyc-web"]["location"] == "eastus"

    dev = fleet_vms(plans["dev"], "dev-app")
    assert [(v["inputs"]["osProfile"]["computerName"], v["inputs"]["zones"]) for v in dev] == [
        ("devapp000", ["1"]), ("devapp001", ["2"])]
    assert under(plans["capture"], VMSS, "big-ss")["inputs"]["sku"]["capacity"] == 1000


def test_computer_names_are_unique_and_fit_windows(stack_plan):
    names = [v["inputs"]["osProfile"]["computerName"] for v in each(stack_plan, VM)]
    assert len(names) == len(set(names))
    assert all(len(n) <= 15 and not n.isdigit() for n in names)
    for ss in resources(stack_plan, VMSS):  # dev has none; prod and capture do (test_fleet_counts_zones_and_names_per_stack)
        assert len(ss["inputs"]["virtualMachineProfile"]["osProfile"]["computerNamePrefix"]) <= 9


def test_gallery_fleets_run_trusted_launch_with_windows_settings(plans):
    for vm in fleet_vms(plans["prod"], "lon-app"):
        i = vm["inputs"]
        assert i["securityProfile"] == {"securityType": "TrustedLaunch", "encryptionAtHost": True,
                                        "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True}}
        assert i["licenseType"] == "Windows_Server"
        assert i["osProfile"]["windowsConfiguration"]["patchSettings"]["patchMode"] == "AutomaticByPlatform"
        assert i["diagnosticsProfile"] == {"bootDiagnostics": {"enabled": True}}
        assert i["storageProfile"]["osDisk"]["managedDisk"] == {"storageAccountType": "Premium_LRS"}
        assert i["osProfile"]["adminPassword"] == "[secret]"
        assert i["tags"]["image"] == "win2025-app" and i["tags"]["owner"] and i["tags"]["environment"] == "prod"
    for ss in each(plans["prod"], VMSS):
        assert ss["inputs"]["virtualMachineProfile"]["securityProfile"]["securityType"] == "TrustedLaunch"


def test_vms_are_replaced_when_the_image_changes_and_scale_sets_roll(plans):
    for vm in fleet_vms(plans["prod"], "lon-app"):
        # Azure cannot change these on a VM; ignoring the password would keep a rotated-away one forever.
        assert vm["options"]["replaceOnChanges"] == [
            "storageProfile.imageReference", "osProfile.computerName", "osProfile.adminPassword",
            "osProfile.windowsConfiguration.timeZone"]
        assert vm["options"]["ignoreChanges"] == []
        assert vm["inputs"]["networkProfile"]["networkInterfaces"][0]["deleteOption"] == "Detach"
        # Fixed names (the computer name is the machine's AD identity) do not allow create-first.
        assert vm["options"]["deleteBeforeReplace"] is True
    for ss in each(plans["prod"], VMSS):
        inputs = ss["inputs"]
        assert ss["options"]["replaceOnChanges"] == []
        assert ss["options"]["customTimeouts"] == {"create": "3h", "update": "6h", "delete": "2h"}
        assert inputs["orchestrationMode"] == "Flexible"
        assert inputs["upgradePolicy"]["mode"] == "Rolling"
        assert inputs["upgradePolicy"]["rollingUpgradePolicy"]["maxBatchInstancePercent"] == 20
        extensions = inputs["virtualMachineProfile"]["extensionProfile"]["extensions"]
        assert any(e["type"] == "ApplicationHealthWindows" for e in extensions)


def test_scale_set_plan_does_not_grow_with_instance_count():
    small = plan("capture", overrides={"image-factory:fleets": {
        "big-ss": {"region": "uksouth", "image": "win2025-base", "mode": "scaleset", "count": 2}}})
    big = plan("capture", overrides={"image-factory:fleets": {
        "big-ss": {"region": "uksouth", "image": "win2025-base", "mode": "scaleset", "count": 1000}}})
    assert len(small["resources"]) == len(big["resources"])


KNOWN_ADMIN = "Kn0wn-Admin-Secret-4711!"
KNOWN_JOIN = "Kn0wn-Join-Secret-0815!"


def test_no_secret_value_appears_anywhere_in_the_plan():
    fleets = {"dev-app": {"region": "uksouth", "image": "win2025-base", "count": 2, "mode": "vms",
                          "domainJoin": {"domain": "corp.contoso-finance.example", "user": "CORP\\svc-join",
                                         "ouPath": "OU=Servers,DC=corp,DC=contoso-finance,DC=example"}},
              "dev-ss": {"region": "uksouth", "image": "win2025-base", "count": 3, "mode": "scaleset",
                         "domainJoin": {"domain": "corp.contoso-finance.example", "user": "CORP\\svc-join"}}}
    network = {"uksouth": {"addressSpace": "10.20.0.0/16", "workloadSubnet": "10.20.1.0/24",
                           "dnsServers": ["10.1.0.4", "10.1.0.5"]}}
    doc = plan("dev", overrides={"image-factory:fleets": fleets, "image-factory:network": network},
               secrets={"adminPassword": KNOWN_ADMIN, "domainJoinPassword": KNOWN_JOIN})
    text = json.dumps(doc)
    assert KNOWN_ADMIN not in text and KNOWN_JOIN not in text
    joins = [r for r in resources(doc, EXTENSION) if r["inputs"]["type"] == "JsonADDomainExtension"]
    assert len(joins) == 2
    vnet = resources(doc, "azure-native:network:VirtualNetwork")[0]["inputs"]
    assert vnet["dhcpOptions"] == {"dnsServers": ["10.1.0.4", "10.1.0.5"]}
    assert all(j["inputs"]["protectedSettings"] == "[secret]" for j in joins)
    assert joins[0]["inputs"]["settings"]["Name"] == "corp.contoso-finance.example"
    ss_ext = under(doc, VMSS, "dev-ss")["inputs"]["virtualMachineProfile"]["extensionProfile"]["extensions"]
    assert [e["protectedSettings"] for e in ss_ext if e["type"] == "JsonADDomainExtension"] == ["[secret]"]
    assert doc["outputs"]["adminPassword"] == "[secret]"
    # No RandomPassword when the stack supplies one.
    assert not resources(doc, "random:index/randomPassword:RandomPassword")


def test_password_is_generated_when_none_is_configured(plans):
    [generated] = resources(plans["dev"], "random:index/randomPassword:RandomPassword")
    assert generated["inputs"]["length"] >= 16
    vm = fleet_vms(plans["dev"], "dev-app")[0]
    assert generated in depends_on(plans["dev"], vm, "random:index/randomPassword:RandomPassword")


def test_each_vm_has_a_private_nic_in_its_regions_subnet(plans):
    prod = plans["prod"]
    for vm in fleet_vms(prod, "nyc-app"):
        [nic] = depends_on(prod, vm, NIC)
        [ipconfig] = nic["inputs"]["ipConfigurations"]
        assert ipconfig["subnet"]["id"].endswith("/virtualNetworks/vnet-imgfactory-prod-eus/subnets/snet-workload")
        assert nic["inputs"]["location"] == "eastus"

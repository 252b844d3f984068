from tests.graph import BASTION, NSG, SUBNET, depends_on, each, resources, under


def test_every_fleet_region_has_a_subnet_behind_an_nsg_that_denies_the_internet(stack_plan):
    for nsg in each(stack_plan, NSG):
        [rule] = nsg["inputs"]["securityRules"]
        assert (rule["direction"], rule["access"], rule["sourceAddressPrefix"]) == ("Inbound", "Deny", "Internet")
    for subnet in each(stack_plan, SUBNET):
        if subnet["inputs"]["subnetName"] == "snet-workload":
            assert depends_on(stack_plan, subnet, NSG)


def test_prod_has_private_only_bastion_in_both_regions(plans):
    prod = plans["prod"]
    bastions = {b["inputs"]["location"]: b["inputs"] for b in resources(prod, BASTION)}
    assert set(bastions) == {"uksouth", "eastus"}
    for b in bastions.values():
        assert b["sku"] == {"name": "Premium"}
        assert b["enablePrivateOnlyBastion"] is True
        assert "publicIPAddress" not in b["ipConfigurations"][0]
        assert b["ipConfigurations"][0]["subnet"]["id"].endswith("/subnets/AzureBastionSubnet")
    assert not resources(plans["dev"], BASTION)
    assert under(prod, "azure-native:network:VirtualNetwork", "net-eastus")["inputs"]["addressSpace"] == {
        "addressPrefixes": ["10.40.0.0/16"]}

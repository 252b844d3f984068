from tests.graph import ASSIGNMENT, BUILD, DEFINITION, IDENTITY, REPLICAS, ROLE, TEMPLATE, counts, depends_on, each, one, parent_name, resources, stack_value, under
from tests.graph import BUILDS, plan_stack
from offline.plan import plan


def template_name(doc: dict, image: str = "win2025-base") -> str:
    return under(doc, TEMPLATE, image)["inputs"]["imageTemplateName"]


def test_image_side_resource_counts_per_stack(plans):
    image_side = ("azure-native:compute:Gallery", DEFINITION, IDENTITY, ROLE, ASSIGNMENT, TEMPLATE, BUILD)
    by_stack = {stack: tuple(counts(doc).get(t, 0) for t in image_side) for stack, doc in plans.items()}
    assert by_stack["dev"] == (1, 2, 1, 1, 1, 2, 2)  # the base image, and the app image layered on it
    # Building privately also grants blob read on the artifact store, and networking on the build network
    assert by_stack[BUILDS] == (1, 2, 1, 2, 3, 2, 2)
    assert by_stack["prod"] == (1, 2, 0, 0, 0, 0, 0)  # prod promotes dev's versions: no Image Builder


def test_template_waits_for_role_assignment_which_waits_for_identity_and_role(building_plan):
    assignment = one(building_plan, ASSIGNMENT, "role-assignment")
    assert [r["name"] for r in depends_on(building_plan, assignment, IDENTITY)] == ["identity"]
    assert [r["name"] for r in depends_on(building_plan, assignment, ROLE)] == ["role"]
    for template in each(building_plan, TEMPLATE):
        assert assignment in depends_on(building_plan, template, ASSIGNMENT)


def test_distribution_targets_the_image_definition_it_depends_on(building_plan):
    for template in each(building_plan, TEMPLATE):
        image = parent_name(template)
        definition = one(building_plan, DEFINITION, f"def-{image}")
        [shared] = [d for d in template["inputs"]["distribute"] if d["type"] == "SharedImage"]
        assert shared["galleryImageId"].endswith(f"/images/{image}")
        assert definition in depends_on(building_plan, template, DEFINITION)


# Microsoft's "Azure Image Builder Service Image Creation Role", written out here on purpose: the test
# must not read the list it checks from the code under test.
DOCUMENTED_ACTIONS = {
    "Microsoft.Compute/galleries/read", "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/versions/read", "Microsoft.Compute/galleries/images/versions/write",
    "Microsoft.Compute/images/write", "Microsoft.Compute/images/read", "Microsoft.Compute/images/delete",
}


def test_assignment_is_a_service_principal_on_the_gallery_group_with_the_documented_actions(building_plan):
    assignment = one(building_plan, ASSIGNMENT, "role-assignment")["inputs"]
    role = one(building_plan, ROLE, "role")["inputs"]
    rg_id = building_plan["outputs"]["galleryId"].split("/providers/")[0]
    assert assignment["principalType"] == "ServicePrincipal"
    assert assignment["scope"] == role["scope"] == rg_id
    assert role["assignableScopes"] == [rg_id]
    [permissions] = role["permissions"]
    # All seven, also where no image is distributed as a managed image (dev, prod).
    assert set(permissions["actions"]) == DOCUMENTED_ACTIONS and len(permissions["actions"]) == 7
    assert permissions["notActions"] == [] and role["roleType"] == "CustomRole"


def test_prod_replicates_zone_redundant_to_london_and_new_york(plans):
    # The template distributes to the home region; New York gets its replicas from its own step.
    for template in each(plans[BUILDS], TEMPLATE):
        regions = template["inputs"]["distribute"][0]["targetRegions"]
        assert [(r["name"], r["storageAccountType"]) for r in regions] == [("uksouth", "Standard_ZRS")]
    steps = {r["name"]: r["inputs"]["target_regions"] for r in resources(plans[BUILDS], REPLICAS)}
    assert [(t["name"], t["storage_account_type"]) for t in steps["win2025-base-replicas-eastus"]] == [
        ("eastus", "Standard_ZRS")]
    for dev in each(plans["dev"], TEMPLATE):
        assert [r["name"] for r in dev["inputs"]["distribute"][0]["targetRegions"]] == ["uksouth"]


def test_template_runs_only_through_image_build_and_stages_in_its_own_group(building_plan):
    for template in each(building_plan, TEMPLATE):
        inputs = template["inputs"]
        assert inputs["autoRun"] == {"state": "Disabled"}
        assert inputs["stagingResourceGroup"].endswith(f"/resourceGroups/rg-aib-staging-{inputs['imageTemplateName']}")
        assert inputs["identity"]["type"] == "UserAssigned"


def test_new_base_image_trigger_is_optional_and_watches_the_template():
    images = stack_value("dev", "image-factory:images")
    images["win2025-base"]["rebuildOnNewBaseImage"] = True
    doc = plan("dev", overrides={"image-factory:images": images})
    [trigger] = resources(doc, "azure-native:virtualmachineimages:Trigger")
    template = under(doc, TEMPLATE, "win2025-base")
    assert (trigger["inputs"]["kind"], trigger["inputs"]["triggerName"]) == ("SourceImage", "new-base-image")
    assert trigger["inputs"]["imageTemplateName"] == template["inputs"]["imageTemplateName"]
    assert depends_on(doc, trigger, TEMPLATE) == [template]


def test_build_identity_reads_the_artifact_store_before_any_template_exists(plans):
    prod = plans[BUILDS]
    reader = one(prod, ASSIGNMENT, "artifact-reader")
    assert reader["inputs"]["scope"].endswith("/providers/Microsoft.Storage/storageAccounts/stcontosoartifacts")
    assert reader["inputs"]["roleDefinitionId"].endswith("/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")
    assert reader["inputs"]["principalType"] == "ServicePrincipal"
    assert depends_on(prod, reader, IDENTITY)
    for template in each(prod, TEMPLATE):
        assert reader in depends_on(prod, template, ASSIGNMENT)
    assert not any(r["name"] == "artifact-reader" for r in resources(plans["dev"], ASSIGNMENT))


def test_the_networking_role_is_assignable_at_the_vnets_group_and_assigned_on_the_vnet_only(plans):
    # issue 21 item 2: assignableScopes take management groups, subscriptions or resource groups.
    doc = plans[BUILDS]
    role = one(doc, ROLE, "network-role")["inputs"]
    join = one(doc, ASSIGNMENT, "network-join")["inputs"]
    vnet = join["scope"]
    assert "/providers/Microsoft.Network/virtualNetworks/" in vnet
    group = vnet.split("/providers/")[0]
    assert role["assignableScopes"] == [group] and role["scope"] == group
    assert join["roleDefinitionId"].startswith(group + "/providers/Microsoft.Authorization/roleDefinitions/")
    # A new title: the role of the old (VNet-assignable) design can be deleted after this one is created.
    assert role["roleName"].endswith(", group-assignable")

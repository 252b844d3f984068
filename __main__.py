"""image-factory: Windows Server image recipe -> Image Builder -> Compute Gallery -> VM fleets.
The table of contents of the graph. Config is read and checked once, before any resource exists; each
component gets only the part of it that it uses, so every call below shows what flows into it."""

import pulumi
from pulumi_azure_native import authorization

from components.config.loading import load, secret
from components.images.build_identity import BuildIdentity
from components.images.gallery import ImageGallery
from components.images.image_template import ImageTemplate
from components.images.layering import build_order, layer_source, source_groups
from components.images.promotion import promoted_images
from components.images.replica_plan import replica_plan
from components.images.retention import export_lifecycle
from components.images.vhd_import import VhdImport
from components.naming import Names
from components.vms.boot_image import fleet_image, image_versions
from components.vms.capture import ManagedImageCapture
from components.vms.credentials import AdminCredentials
from components.vms.fleet import VmFleet
from components.vms.network import FleetNetwork
from components.vms.patching import PatchSchedule

config = load()
names = Names.from_config(config)
subscription_id = authorization.get_client_config_output().subscription_id

# 1. Where images live and builds and VMs run: the gallery; a network per region in use (private builds too).
gallery = ImageGallery("gallery", location=config.location, gallery=config.gallery, images=config.images,
                       imports=config.imports, protect=config.protect, names=names)
networks = {region: FleetNetwork(f"net-{region}", region, spec=config.network.get(region), bastion=config.bastion,
                                 names=names) for region in config.network_regions}
# 2. The fleets' credentials, and when they are patched.
credentials = AdminCredentials("admin", secret("adminPassword"), secret("domainJoinPassword"))
patch_schedules = {region: PatchSchedule(f"patch-{region}", region, patching=config.patching, names=names, resource_group=
                   networks[region].resource_group, fleets=config.scheduled_fleets(region)) for region in config.patch_regions}

# 3. The manual paths to a managed image (-> gallery version, -> a build's source): reference VM -> sysprep ->
#    generalize -> image; and a disk from outside Azure (Hyper-V): VHD -> managed disk -> upload -> image.
captures = {name: ManagedImageCapture(
    name, capture, network=networks[capture.region], credentials=credentials, admin_username=config.admin_username,
    subscription_id=subscription_id, gallery=gallery, location=config.location, protect=config.protect, names=names,
    publish_image=config.images[capture.publish.image] if capture.publish else None)
    for name, capture in config.captures.items()}
imports = {name: VhdImport(name, imp, gallery=gallery, location=config.location, protect=config.protect, names=names)
           for name, imp in config.imports.items()}

# 4. How images are made: build identity, then per image template -> build -> replicas (sized by step 5's fleets).
built, home = config.built_images, networks.get(config.location)
identity = BuildIdentity(
    "image-builder", location=config.location, resource_group=gallery.resource_group, subscription_id=subscription_id,
    artifact_storage_account_id=config.artifact_storage_account_id, names=names,
    build_network_id=home.vnet_id if config.private_builds else None, existing_networks=config.existing_build_networks,
    source_groups=source_groups(built, captures, names)) if built else None
replicas = replica_plan(built, config.fleets)
templates: dict[str, ImageTemplate] = {}
for name in build_order(built):  # a layered image after the image it builds on, whose version is its source
    templates[name] = ImageTemplate(
        name, built[name], location=config.location, subscription_id=subscription_id, names=names,
        resource_group_name=gallery.resource_group.name, definition_id=gallery.definitions[name].id,
        identity=identity, replicas=replicas[name], version_cleanup=gallery.version_cleanup.get(name),
        source=layer_source(built[name], config.images, templates, gallery.definitions, names, captures, imports),
        program_subnets=(home.build_subnet_id, home.container_instance_subnet_id) if home else (None, None))
promoted = promoted_images(config, gallery, names)  # prod: copies of what dev built, through a StackReference
versions = image_versions(config.images, gallery.definitions, templates, promoted)

# 5. The fleets, each booting the image its config names, taken from what produced it.
fleets = {name: VmFleet(
    name, fleet, network=networks[fleet.region], credentials=credentials, names=names,
    admin_username=config.admin_username, patching=fleet.patch_path(config.patching.mode),
    image=fleet_image(fleet, config.images, gallery.definitions, versions, templates, captures, subscription_id,
                      imports))
    for name, fleet in config.fleets.items()}

pulumi.export("resourceGroup", gallery.resource_group.name)
pulumi.export("galleryId", gallery.gallery.id)
pulumi.export("imageDefinitionIds", {name: d.id for name, d in gallery.definitions.items()})
pulumi.export("imageTemplates", {name: t.template.name for name, t in templates.items()})
pulumi.export("imageVersions", versions)
pulumi.export("imageReplicas", replicas)  # per built image, region -> replicas: what a promoting stack reads
export_lifecycle(config.images, config.fleets)  # retention (versions kept, to delete), fleetVersions (drift)
pulumi.export("capturedImages", {name: c.image_id for name, c in captures.items()})
pulumi.export("importedImages", {name: {"image": i.image_id, "version": i.version_id} for name, i in imports.items()})
pulumi.export("fleetVmIds", {name: f.vm_ids for name, f in fleets.items()})
pulumi.export("egressIps", {region: n.egress_prefix for region, n in networks.items() if n.egress_prefix})
pulumi.export("artifactStoreSubnets", [s for s in (n.container_instance_subnet_id for n in networks.values()) if s])
pulumi.export("patchSchedules", {region: p.configuration.id for region, p in patch_schedules.items()})
pulumi.export("adminUsername", config.admin_username)
pulumi.export("adminPassword", credentials.password)

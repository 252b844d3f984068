"""image-factory: Windows Server image recipe -> Image Builder -> Compute Gallery -> VM fleets.

The table of contents of the graph. Config is read and checked once, before any resource exists.
"""

import pulumi

from components.credentials import AdminCredentials
from components.fleet import VmFleet
from components.gallery import ImageGallery
from components.image_builder import ImageBuilder
from components.image_sources import fleet_image, image_versions
from components.image_template import ImageTemplate
from components.load_config import load, secret
from components.managed_image import ManagedImageCapture
from components.naming import Names
from components.network import FleetNetwork

config = load()
names = Names(config)

# 1. Where images live: resource group, gallery, one definition per image.
gallery = ImageGallery("gallery", config, names)

# 2. How images are made: the build identity, then per built image template -> build -> version.
built = [name for name, image in config.images.items() if not image.pinned]
builder = ImageBuilder("image-builder", config, names, gallery) if built else None
templates = {name: ImageTemplate(name, config, names, gallery, builder) for name in built}
versions = image_versions(config, gallery, templates)

# 3. Where VMs run: one network per region in use, and the fleets' credentials.
networks = {region: FleetNetwork(f"net-{region}", region, config, names) for region in config.fleet_regions}
credentials = AdminCredentials("admin", secret("adminPassword"), secret("domainJoinPassword"))

# 4. The manual path: reference VM -> sysprep -> generalize -> managed image (-> gallery version).
captures = {
    name: ManagedImageCapture(name, capture, config, names, networks[capture.region], credentials, gallery)
    for name, capture in config.captures.items()
}

# 5. The fleets, each booting the image its config names, taken from what produced it.
fleets = {
    name: VmFleet(name, fleet, config, names, networks[fleet.region],
                  fleet_image(config, fleet, gallery, versions, templates, captures), credentials)
    for name, fleet in config.fleets.items()
}

pulumi.export("resourceGroup", gallery.resource_group.name)
pulumi.export("galleryId", gallery.gallery.id)
pulumi.export("imageDefinitionIds", {name: d.id for name, d in gallery.definitions.items()})
pulumi.export("imageTemplates", {name: t.template.name for name, t in templates.items()})
pulumi.export("imageVersions", versions)
pulumi.export("capturedImages", {name: c.image_id for name, c in captures.items()})
pulumi.export("fleetVmIds", {name: f.vm_ids for name, f in fleets.items()})
pulumi.export("adminUsername", config.admin_username)
pulumi.export("adminPassword", credentials.password)

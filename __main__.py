"""image-factory: Windows Server image recipe -> Image Builder -> Compute Gallery (-> fleets).

The table of contents of the graph. Config is read and checked once, before any resource exists.
"""

import pulumi

from components.gallery import ImageGallery
from components.image_builder import ImageBuilder
from components.load_config import load
from components.naming import Names

config = load()
names = Names(config)

gallery = ImageGallery("gallery", config, names)
builder = ImageBuilder("image-builder", config, names, gallery)

pulumi.export("resourceGroup", gallery.resource_group.name)
pulumi.export("galleryId", gallery.gallery.id)
pulumi.export("imageDefinitionIds", {name: d.id for name, d in gallery.definitions.items()})
pulumi.export("imageTemplates", {name: t.name for name, t in builder.templates.items()})
pulumi.export("builderIdentityId", builder.identity.id)

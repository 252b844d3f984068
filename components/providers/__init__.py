"""Our dynamic providers (Pulumi dynamic resources that call ARM themselves) and their ARM plumbing.

A dynamic provider is pickled into the Pulumi state *by reference*: its module path and class name.
`read`, `delete` and `diff` of a resource already deployed unpickle the provider from there, so moving
or renaming one of these classes after anyone has deployed breaks every existing resource of that provider
("No module named ..."). These paths are therefore final. To move a provider
anyway, leave a module at the old path that re-exports the class, and keep it until every stack has
run `pulumi up` once with the new code (which re-pickles the provider at its new path).
tests/providers/test_state_paths.py fails when a class leaves the path listed here.
"""

STATE_PATHS: dict[str, str] = {
    "ImageBuildProvider": "components.providers.image_build",
    "GeneralizeProvider": "components.providers.generalize",
    "VersionReplicasProvider": "components.providers.version_replicas",
    "DefinitionVersionsProvider": "components.providers.definition_versions",
    "RolePropagationProvider": "components.providers.role_propagation",
    "SubnetReleaseProvider": "components.providers.subnet_release",
    "DiskUploadProvider": "components.providers.disk_upload",
}

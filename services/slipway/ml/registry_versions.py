"""What a service needs to load a registry version's model file, read from its message: the
artifact's format name and the library versions it was saved with (serving and monitoring both
load models they fetched from the registry)."""

from __future__ import annotations

from slipway.registry.v1 import artifact_pb2, model_version_pb2

ARTIFACT_FORMATS = {
    artifact_pb2.ARTIFACT_FORMAT_SKOPS: "skops",
    artifact_pb2.ARTIFACT_FORMAT_PICKLE: "pickle",
    artifact_pb2.ARTIFACT_FORMAT_JOBLIB: "joblib",
    artifact_pb2.ARTIFACT_FORMAT_ONNX: "onnx",
}


def framework_versions(message: model_version_pb2.ModelVersion) -> dict[str, str]:
    """The recorded versions of the libraries ``core.model_files`` checks, unset ones left out."""
    versions = message.framework_versions
    recorded = {
        "python": versions.python,
        "scikit_learn": versions.scikit_learn,
        "numpy": versions.numpy,
        "scipy": versions.scipy,
        "skops": versions.skops,
    }
    return {k: v for k, v in recorded.items() if v}

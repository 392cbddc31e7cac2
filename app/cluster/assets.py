"""The files a patch reads, shipped to Ray workers that do not share the driver's disk:
its generator's model (a file or a BigGAN folder), its keyframes file, its layers' video
clips, image folders and video-generator checkpoints, and its dream network. The driver
reads each as bytes under a role; a worker writes them back into its own temporary folder
and points the patch at them, so a chunk loads exactly what the driver would."""

from __future__ import annotations

from pathlib import Path

from app.core.patch import Patch

Payload = bytes | dict[str, bytes]  # a file's bytes, or a folder's files by name


def _placed(path: str, preset_dir: Path | None) -> Path:
    """A patch path as the renderer resolves it: absolute, else the preset's folder's."""
    found = Path(path)
    if not found.is_absolute() and preset_dir is not None:
        return preset_dir / found
    return found


def patch_files(patch: Patch, preset_dir: Path | None) -> dict[str, Path]:
    """Every local file or folder ``patch`` reads, by role (``generator``, ``keyframes``,
    ``layerN``, ``dream``); cameras and torch-hub network names are not files."""
    files = {}
    if patch.generator.path:
        files["generator"] = _placed(patch.generator.path, preset_dir)
    if patch.motion.keyframes_file:
        kf = Path(patch.motion.keyframes_file)  # the renderer: as given when it exists
        files["keyframes"] = kf if kf.exists() else _placed(str(kf), preset_dir)
    for i, layer in enumerate(patch.layers):
        if layer.source != "camera":
            files[f"layer{i}"] = _placed(layer.path, preset_dir)
    if patch.dream is not None and _placed(patch.dream.net, preset_dir).exists():
        files["dream"] = _placed(patch.dream.net, preset_dir)
    return files


def read_payload(path: Path) -> Payload:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
    return path.read_bytes()


def gather(files: dict[str, Path]) -> dict[str, tuple[str, Payload]]:
    """(name, payload) by role: what travels to the workers."""
    return {role: (path.name, read_payload(path)) for role, path in files.items()}


def unpack(patch: Patch, assets: dict[str, tuple[str, Payload]], folder: Path) -> Patch:
    """Write ``assets`` under ``folder`` and return ``patch`` reading them there."""
    placed = {}
    for role, (name, payload) in assets.items():
        target = folder / role / name
        target.parent.mkdir(parents=True)
        if isinstance(payload, dict):
            target.mkdir()
            for file_name, data in payload.items():
                (target / file_name).write_bytes(data)
        else:
            target.write_bytes(payload)
        placed[role] = str(target)
    update: dict = {}
    if "generator" in placed:
        update["generator"] = patch.generator.model_copy(update={"path": placed["generator"]})
    if "keyframes" in placed:
        update["motion"] = patch.motion.model_copy(update={"keyframes_file": placed["keyframes"]})
    if any(role.startswith("layer") for role in placed):
        update["layers"] = [
            layer.model_copy(update={"path": placed[f"layer{i}"]}) if f"layer{i}" in placed
            else layer for i, layer in enumerate(patch.layers)
        ]  # fmt: skip
    if "dream" in placed:
        update["dream"] = patch.dream.model_copy(update={"net": placed["dream"]})
    return patch.model_copy(update=update)

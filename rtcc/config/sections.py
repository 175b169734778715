"""Settings sections of the core product: database, server, recognition, cameras, hotlist files,
matching and retention.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from rtcc.schemas.types import CameraId
from rtcc.vocab import HotlistFormat


class Section(BaseModel):
    """Base for every settings section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(Section):
    url: str | None = None  # default: sqlite file under data_dir
    echo: bool = False
    pool_size: int = Field(default=5, ge=1, le=100)


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    # Request bodies: refused with 413 before they are read (``web.hardening``).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)  # JSON and forms
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)  # hotlist file uploads
    # Browser origins (scheme://host[:port]) besides the server's own that may open the live
    # websocket; a page from any other origin (even another port of this host) is refused.
    allowed_origins: list[str] = Field(default_factory=list)


class LprSettings(Section):
    detector_model: str = "yolo-v9-t-416-license-plate-end2end"
    ocr_model: str = "cct-xs-v2-global-model"
    # Extra OCR models whose outputs are combined with ocr_model's (empty: one model only).
    extra_ocr_models: list[str] = Field(default_factory=lambda: ["cct-xs-v1-global-model"])
    model_dir: Path | None = None  # offline model bundle; None -> fast-alpr hub names
    detector_conf_threshold: float = Field(default=0.4, ge=0.0, le=1.0)
    # Rescue: a detection between this and detector_conf_threshold is kept only when every
    # character of its read (4 or more) is at least rescue_min_confidence sure and it fits a
    # region format (unless the OCR is sure of a region without rules here). None: off. On the
    # videos (signs, a toll overlay) it kept no weak box at all; on the dev images it finds one
    # more plate (README, "Detection of small and angled plates").
    detector_rescue_threshold: float | None = Field(default=0.3, ge=0.0, le=1.0)
    rescue_min_confidence: float = Field(default=0.9, ge=0.0, le=1.0)
    # Second look: a detection between zoom_floor and detector_conf_threshold that is small in
    # the detector's input is looked at again on a crop around it scaled up to the detector's
    # input, and kept (with the second look's box) only when that finds a plate there at
    # detector_conf_threshold; at most zoom_max_boxes per frame. None: off.
    zoom_floor: float | None = Field(default=None, ge=0.0, le=1.0)
    zoom_max_boxes: int = Field(default=2, ge=1, le=16)
    # Motion crop: when what moved in a frame (with the plates being tracked), padded and made
    # square, covers at most this share of the frame, the detector looks at that crop alone,
    # scaled up to its input, instead of the whole frame (README, Benchmarks: "Motion crop").
    # None: always the whole frame. Never with lpr.masks (they are in frame pixels).
    motion_crop_max_share: float | None = Field(default=None, gt=0.0, le=1.0)
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    min_length: int = Field(default=2, ge=1, le=12)
    threads: int = Field(default=1, ge=1, le=64)
    # per_camera: every camera worker loads its own models; shared: one detector service per
    # host (models loaded once, lpr.threads intra-op threads, OCR batched across cameras).
    # shared is the default: models once per host (about half the memory per camera) and fair
    # degradation across cameras; per_camera suits a host with one or two cameras.
    detector: Literal["per_camera", "shared"] = "shared"
    # shared: how many detector processes (each with its own models) serve the host's cameras.
    detector_processes: int = Field(default=1, ge=1, le=64)
    regions: list[str] = Field(default_factory=lambda: ["us"])
    drop_unformatted: bool = False
    # Each plate crop is read once per padding (share of the box width added on each side);
    # the OCR probabilities of all paddings and models are averaged.
    ocr_paddings: list[float] = Field(default_factory=lambda: [0.05, 0.15])
    # Cascade: when the first OCR model reads every character of a crop at least this sure, the
    # other models and paddings are skipped for it (> 1: always the whole ensemble).
    ocr_sure: float = Field(default=0.99, ge=0.0, le=1.01)
    # Accept a format-fitting string when its log-probability is within this of the top string.
    format_margin: float = Field(default=2.5, ge=0.0, le=50.0)
    # Decode with the regions' format prior (``lpr.prior``: serial formats, letters states do
    # not issue, letter/digit runs): weight of log P(plate | region) next to the OCR's
    # log-probability; 0 = off (hard patterns within format_margin instead).
    format_prior_weight: float = Field(default=1.0, ge=0.0, le=10.0)
    unformatted_penalty: float = Field(default=0.8, ge=0.0, le=1.0)  # confidence factor
    top_k: int = Field(default=3, ge=1, le=10)  # alternatives kept per character
    # A sampled frame more than 0.5 s behind the newest is not analysed (an overloaded host
    # lowers every camera's analysed rate instead of falling behind). Off: every sampled frame
    # is analysed however late (the naive baseline of ``rtcc bench cameras``).
    drop_stale_frames: bool = True
    # Polygons ([x, y] frame pixels) where plate detections are ignored (signs, lettering).
    masks: list[list[tuple[int, int]]] = Field(default_factory=list)
    # Tracking: a track closes after track_gap_s unseen; a stopped car is finalised after
    # track_max_s.
    track_gap_s: float = Field(default=1.5, gt=0)
    track_max_s: float = Field(default=30.0, gt=0)
    preview_frames: int = Field(default=2, ge=1, le=50)  # agreeing frames before the preview read
    single_frame_min_confidence: float = Field(default=0.85, ge=0.0, le=1.0)
    # A preview goes out on the very first frame whose read is at least this confident (a hit
    # on it reaches the console one detection interval and inference earlier); 1.0 = never.
    instant_preview_confidence: float = Field(default=0.95, ge=0.0, le=1.0)
    # Video: plates whose box is within this many pixels of the frame border are cut off; ignored.
    edge_margin_px: int = Field(default=2, ge=0, le=100)

    @model_validator(mode="after")
    def _zoom_below_threshold(self) -> LprSettings:
        """A second look is for detections under the threshold: a floor at or above it would
        switch the second look on and never take one."""
        if self.zoom_floor is not None and self.zoom_floor >= self.detector_conf_threshold:
            raise ValueError(
                f"lpr.zoom_floor ({self.zoom_floor}) must be below lpr.detector_conf_threshold "
                f"({self.detector_conf_threshold}), or null (off)"
            )
        return self


class Location(Section):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class MotionSettings(Section):
    enabled: bool = True
    sensitivity: float = Field(default=0.5, ge=0.0, le=1.0)
    # Polygons (lists of [x, y] in frame pixels) whose pixels never count as motion.
    masks: list[list[tuple[int, int]]] = Field(default_factory=list)
    # While nothing moves, decode keyframes only (when they come at least once a second and the
    # stream has no B-frames): far less CPU, but a vehicle is first looked at on the next
    # keyframe, up to a second after it appears (off: every sampled frame is decoded).
    keyframes_when_still: bool = True


class CameraSettings(Section):
    # What only the catalog, the map and the console use: editing these never restarts the
    # camera's worker (it neither reads nor sends them).
    DESCRIPTIVE: ClassVar[frozenset[str]] = frozenset(
        {"name", "location", "heading_deg", "fov_deg", "range_m", "mobile"}
    )

    id: CameraId
    name: str = ""
    url: str = Field(min_length=1)
    # Lower-resolution substream for analytics and wall tiles; ``url`` (the main stream) is
    # recorded and shown when a tile is enlarged.
    detect_url: str | None = None
    enabled: bool = True
    detect_fps: float = Field(default=5.0, gt=0, le=60)
    location: Location | None = None
    loop: bool = True
    realtime: bool = True
    transport: Literal["tcp", "udp"] = "tcp"
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=10.0, gt=0)  # also: no frame this long -> reconnect
    reconnect_max_s: float = Field(default=30.0, ge=1, le=600)  # backoff cap
    record: bool = True  # continuous recording by stream copy (the policy keeps 30 days)
    segment_seconds: int = Field(default=60, ge=2, le=3600)
    motion: MotionSettings = Field(default_factory=MotionSettings)
    # What the camera sees, for the map and gunshot coverage: compass heading of the view's
    # centre (None: unknown, counts as all round), field of view and useful range.
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    fov_deg: float = Field(default=90.0, gt=0, le=360)
    range_m: float = Field(default=60.0, gt=0, le=5000)
    mobile: bool = False  # an LPR trailer: its position comes from position updates
    lpr: bool = True  # false: video and health only, no plate recognition

    @model_validator(mode="after")
    def _default_name(self) -> CameraSettings:
        if not self.name:
            self.name = self.id
        return self


class HotlistFile(Section):
    """A list managed by a file: loaded at every start, read-only in the console and API."""

    name: str = Field(min_length=1, max_length=100)
    file: Path
    format: HotlistFormat = HotlistFormat.CSV
    kind: str = "custom"
    priority: int = Field(default=50, ge=0, le=100)
    alert_on_historical: bool = False
    two_person_confirm: bool = False


class MatchSettings(Section):
    """How reads are matched against hotlist entries (see ``hotlist.index``)."""

    # Characters an OCR engine mistakes for each other: each look-alike of a read character
    # gets at least lattice_lookalike_floor in the read's lattice (``hotlist.lattice``).
    confusion_groups: list[str] = Field(
        default_factory=lambda: ["O0QD", "I1L", "B8", "S5", "Z2", "G6"]
    )
    require_same_state: bool = True
    dedup_window_s: float = Field(default=600.0, ge=0)
    # A live pass alerts again once a handled hit's quiet period is over (a new hit).
    realert_after_s: float = Field(default=600.0, ge=0)
    historical: bool = True  # match past reads (within retention) when entries are added
    # Every read is scored against entries on its per-character lattice (``hotlist.lattice``;
    # a read without one gets one from its confidences). An inexact hit needs the read's
    # posterior P on the entry to reach lattice_min_odds * (1 - P) * the chance that the entry
    # is on the lists by coincidence (measured per letter/digit shape on the lists themselves):
    # a Bayes factor of at least lattice_min_odds for "the read is this entry" over "listed by
    # coincidence". There are no look-alike groups or list-size switches besides.
    lattice_min_odds: float = Field(default=10.0, gt=0)
    # Nothing below this posterior hits: the look-alike floor (0.002) times the largest format
    # advantage one plate has over another (about 1/300) is ~7e-6, so it never vetoes a
    # look-alike on format alone.
    lattice_min_posterior: float = Field(default=1e-6, gt=0.0, le=1.0)
    # Each look-alike (confusion_groups) of a read character is given at least this probability:
    # the OCR is overconfident there (on the development images about 0.3% of characters read
    # at >= 0.98 were wrong, most of them look-alikes). 0 = the OCR's probabilities as they are.
    lattice_lookalike_floor: float = Field(default=0.002, ge=0.0, lt=0.1)
    lattice_floor: float = Field(default=1e-4, gt=0, lt=0.1)  # P of a character outside top-k
    # Probability that a read dropped one character (and, as much, that it added one): an
    # assumption, not a measurement. Such an entry shares it with the 36 x (n + 1) strings it
    # could be, so on a dense list a dropped character rarely clears lattice_min_odds.
    lattice_indel: float = Field(default=0.01, ge=0.0, lt=0.5)
    lattice_max_paths: int = Field(default=32, ge=1, le=4096)  # strings probed per read
    lattice_region: str = "us"  # background of reads that carry no region (the OCR gave none)
    # A target instead of lattice_min_odds: false hits per million reads of unlisted plates.
    # Each index build then chooses lattice_min_odds for it on the live lists, by drawing
    # calibration_reads plates of lattice_region with OCR-like lattices (``hotlist.calibration``;
    # about 2 s per 20,000 reads on a 200,000-entry list, 2 cores).
    false_hits_per_million: float | None = Field(default=None, gt=0, le=100_000)
    calibration_reads: int = Field(default=20_000, ge=1_000, le=1_000_000)

    @field_validator("confusion_groups")
    @classmethod
    def _groups_disjoint(cls, groups: list[str]) -> list[str]:
        seen: set[str] = set()
        for group in groups:
            if not group.isalnum() or group.upper() != group:
                raise ValueError(f"group {group!r}: only A-Z and 0-9")
            if seen & set(group):
                raise ValueError(f"group {group!r} shares characters with another group")
            seen |= set(group)
        return groups


class VideoFreeSpaceSettings(Section):
    """Free the oldest video first when the disk fills (off unless ``below_mb`` is set): when
    the data folder has less than ``below_mb`` MiB free, each retention run deletes the oldest
    recorded segments (never one under a legal hold, never one that ended within
    ``keep_hours``) until ``target_mb`` MiB are free."""

    below_mb: int | None = Field(default=None, ge=1)
    target_mb: int | None = Field(default=None, ge=1)  # None: the same as below_mb
    # At least a day: the days whose video goes are then finished, and tallied first.
    keep_hours: float = Field(default=24.0, ge=24)

    @model_validator(mode="after")
    def _target_not_below(self) -> VideoFreeSpaceSettings:
        if self.target_mb is not None and self.below_mb is None:
            raise ValueError("target_mb needs below_mb")
        if (
            self.target_mb is not None
            and self.below_mb is not None
            and (self.target_mb < self.below_mb)
        ):
            raise ValueError(f"target_mb ({self.target_mb}) is below below_mb ({self.below_mb})")
        return self


class RetentionSettings(Section):
    video_days: int = Field(default=30, ge=1)
    plate_reads_days: int = Field(default=90, ge=1)
    hit_reads_days: int | None = Field(default=None, ge=1)  # None -> same as plate_reads_days
    hits_days: int | None = Field(default=None, ge=1)  # None -> same as plate_reads_days
    camera_status_days: int = Field(default=90, ge=1)
    audit_days: int = Field(default=365, ge=365)  # audit rows are never purged by the job
    interval_s: float = Field(default=3600.0, gt=0)
    first_run_delay_s: float = Field(default=60.0, ge=0)
    max_delete_share: float = Field(default=0.5, gt=0, le=1)
    batch_size: int = Field(default=500, ge=1, le=100_000)
    orphan_grace_s: float = Field(default=3600.0, ge=60)  # younger files without a row: in flight
    enabled: bool = True
    video_free_space: VideoFreeSpaceSettings = Field(default_factory=VideoFreeSpaceSettings)
    # The longest the law or policy lets this site keep each class (days), e.g. {plate_reads: 90};
    # ``rtcc check-config`` warns when a setting above goes beyond it.
    legal_max_days: dict[
        Literal["video", "plate_reads", "hit_reads", "hits", "camera_status"], int
    ] = Field(default_factory=dict)

    def days_of(self, data_class: str) -> int:
        """Effective days kept for a class (hit reads and hits default to plate reads)."""
        given = {
            "video": self.video_days,
            "plate_reads": self.plate_reads_days,
            "hit_reads": self.hit_reads_days,
            "hits": self.hits_days,
            "camera_status": self.camera_status_days,
        }[data_class]
        return given if given is not None else self.plate_reads_days


class StorageSettings(Section):
    """The data folder's free space: under ``min_free_mb`` health says degraded and the storage
    watcher raises a ``storage_degraded`` alert (cleared when space is back)."""

    min_free_mb: int = Field(default=1024, ge=0)
    check_interval_s: float = Field(default=30.0, gt=0)

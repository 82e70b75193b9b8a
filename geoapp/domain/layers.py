"""Every map and data layer described once (the part that needs no database).

A layer's entry says what import, export, the GeoJSON endpoints and the map need
to know about it: the geometry types it holds, the column names an imported file
may use for each field, its export sheet and columns (headers in Chinese), its
map ``kind`` (the string ``static/js/geoapp-map.js`` styles and pops up by), its
style per status, who may see it and which fields each role sees. The services'
half (``services/gis_io/registry.py``) adds the model and the functions that read
and write it. Adding a layer (blocks, say) is one entry here and one there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geoapp.domain.i18n import N_
from geoapp.domain.roles import ALL_ROLES, Role
from geoapp.domain.status import STATUS_COLOURS, STATUS_LABELS
from geoapp.domain.uses import UnitKind

# Shapely geometry type ids and how messages name them.
POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON = 0, 1, 3, 4, 5, 6
TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}

# Column → export header (Chinese first; the GIS files keep the short English names).
HEADERS: dict[str, str] = {
    "id": "编号",
    "code": "行政区划代码",
    "name": "名称",
    "task_people": "实有人口任务数",
    "task_houses": "实有房屋任务数",
    "task_units": "实有单位任务数",
    "kind": "类别",
    "village_code": "村代码",
    "village": "所属村",
    "street": "所在街路巷",
    "door_no": "门牌号",
    "address": "标准地址",
    "use": "房屋用途",
    "floors": "层数",
    "structure": "结构",
    "status": "采集状态",
    "return_reason": "退回原因",
    "building_id": "所在房屋编号",
    "uscc": "统一社会信用代码",
    "legal_rep": "法定代表人",
    "phone": "联系电话",
    "lon": "经度",
    "lat": "纬度",
    "geometry_type": "几何类型",
}
# The units register's export: its columns in order, with their headers.
REGISTER_HEADERS: dict[str, str] = {
    "id": "编号",
    "name": "单位名称",
    "uscc": "统一社会信用代码",
    "kind": "单位类别",
    "legal_rep": "法定代表人",
    "phone": "联系电话",
    "staff": "从业人数",
    "staff_registered": "已登记从业人员数",
    "status": "采集状态",
    "village": "所属村",
    "street": "所在街路巷",
    "address": "所在房屋地址",
    "building_id": "所在房屋编号",
    "lon": "经度",
    "lat": "纬度",
}

# Masks applied to a column for every role that does not get full values.
MASK_PHONE, MASK_ID_NUMBER = "phone", "id_number"
# Roles that get full ID numbers and phone numbers in a file.
UNMASKED_ROLES = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class MapStyle:
    """How the map draws a layer: ``symbol`` (area, line, circle, square, triangle) and
    the fill colour per status code (None: the kind's own style in geoapp-map.js)."""

    symbol: str
    colours: dict[str, str] | None = None


STATUS_STYLE = {s.value: c for s, c in STATUS_COLOURS.items()}


@dataclass(frozen=True)
class LayerSpec:
    name: str  # the registry key, the export's layer name and the map kind
    label: str  # msgid: the layer control's name
    geometry: tuple[int, ...] = ()  # shapely type ids an imported file may hold
    geometry_label: str = ""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # import role -> column names
    sheet: str | None = None  # Excel sheet (None: not exported)
    columns: tuple[str, ...] = ()  # exported columns, in order (headers from HEADERS)
    map_kind: str | None = None  # the ``kind`` geoapp-map.js draws (None: not on the map)
    endpoint: str | None = None  # the (Flask) endpoint of the GeoJSON the map loads it from
    query: dict[str, str] = field(default_factory=dict)  # and its query
    popup: str | None = None  # which popup geoapp-map.js opens: village, building, unit
    style: MapStyle | None = None
    map_roles: frozenset[Role] = ALL_ROLES  # whose map shows it
    people_fields: tuple[str, ...] = ()  # names of people: dropped for roles that see counts only
    masked: dict[str, str] = field(default_factory=dict)  # column -> mask, for all but UNMASKED_ROLES
    unit_kinds: tuple[str, ...] = ()  # unit layers: the unit kinds they hold
    by_view: bool = False  # large: the map loads it by view once the whole is too big
    importable: bool = False
    gis_export: bool = False  # in the whole-town GIS export and the web export

    def fields_for(self, role: Role, sees_people: bool) -> tuple[tuple[str, ...], dict[str, str]]:
        """(columns to drop, columns to mask) for a reader of this role."""
        if not sees_people:
            return self.people_fields, {}
        if role in UNMASKED_ROLES:
            return (), {}
        return (), dict(self.masked)


VILLAGES = LayerSpec(
    name="villages",
    label=N_("Village boundaries"),
    geometry=(POLYGON, MULTIPOLYGON),
    geometry_label="Polygon/MultiPolygon",
    aliases={
        "name": ("name", "名称", "村名", "村名称", "村委会"),
        "code": ("code", "编码", "行政区划代码", "区划代码", "村代码", "村编码"),
        "task_people": ("task_people", "任务人口"),
        "task_houses": ("task_houses", "任务房屋"),
        "task_units": ("task_units", "任务单位"),
    },
    sheet="村",
    columns=("id", "code", "name", "task_people", "task_houses", "task_units"),
    map_kind="villages",
    endpoint="api.villages",
    popup="village",
    style=MapStyle("area"),
    importable=True,
    gis_export=True,
)
STREETS = LayerSpec(
    name="streets",
    label=N_("Streets"),
    geometry=(LINESTRING, MULTILINESTRING),
    geometry_label="LineString/MultiLineString",
    aliases={
        "name": ("name", "名称", "街路巷名", "路名", "街路巷"),
        "kind": ("kind", "type", "类型", "等级"),
    },
    sheet="街路巷",
    columns=("id", "name", "kind"),
    map_kind="streets",
    endpoint="api.streets",
    style=MapStyle("line"),
    by_view=True,
    importable=True,
    gis_export=True,
)
BUILDINGS = LayerSpec(
    name="buildings",
    label=N_("Houses"),
    geometry=(POINT, POLYGON, MULTIPOLYGON),
    geometry_label="Point/Polygon/MultiPolygon",
    aliases={
        "address": ("address", "addr", "地址", "标准地址"),
        "door": ("door_no", "door", "门牌号", "门牌"),
        "use": ("use", "用途", "房屋用途"),
        "floors": ("floors", "层数", "楼层数"),
        "structure": ("structure", "结构", "房屋结构"),
        "owner": ("owner", "owner_name", "户主", "房主", "产权人"),
        "village": ("village", "village_code", "村", "所属村", "村名", "村编码"),
    },
    sheet="房屋",
    columns=(
        "id",
        "village_code",
        "village",
        "street",
        "door_no",
        "address",
        "use",
        "floors",
        "structure",
        "status",
        "return_reason",
        "lon",
        "lat",
    ),
    map_kind="buildings",
    endpoint="api.buildings",
    popup="building",
    style=MapStyle("circle", STATUS_STYLE),
    by_view=True,
    importable=True,
    gis_export=True,
)
UNITS = LayerSpec(
    name="units",
    label=N_("Units"),
    geometry=(POINT,),
    geometry_label="Point",
    aliases={
        "name": ("name", "名称", "单位名称"),
        "uscc": ("uscc", "统一社会信用代码", "信用代码", "credit_code"),
        "kind": ("kind", "type", "类型", "单位类型"),
        "legal_rep": ("legal_rep", "法定代表人", "法人"),
        "phone": ("phone", "tel", "电话", "联系电话"),
    },
    sheet="单位",
    columns=(
        "id",
        "name",
        "uscc",
        "kind",
        "legal_rep",
        "phone",
        "status",
        "building_id",
        "address",
        "lon",
        "lat",
    ),
    people_fields=("legal_rep", "phone"),  # leaders: aggregates and statuses, no names of people
    masked={"phone": MASK_PHONE},
    unit_kinds=tuple(k.value for k in UnitKind),
    importable=True,
    gis_export=True,
)
# The station's two unit layers on the map (the units layer, split by kind).
STATION_ROLES = frozenset({Role.OFFICER, Role.ADMIN})
SHOPS = LayerSpec(
    name="shops",
    label=N_("Street-front shops"),
    map_kind="shops",
    endpoint="units.layer",
    query={"kind": "shop"},
    popup="unit",
    style=MapStyle("square", STATUS_STYLE),
    map_roles=STATION_ROLES,
    people_fields=UNITS.people_fields,
    masked=UNITS.masked,
    unit_kinds=(UnitKind.SHOP.value,),
)
FACTORIES = LayerSpec(
    name="factories",
    label=N_("Factories, mines and enterprises"),
    map_kind="factories",
    endpoint="units.layer",
    query={"kind": "factory"},
    popup="unit",
    style=MapStyle("triangle", STATUS_STYLE),
    map_roles=STATION_ROLES,
    people_fields=UNITS.people_fields,
    masked=UNITS.masked,
    unit_kinds=(UnitKind.ENTERPRISE.value,),
)
BLOCKS = LayerSpec(
    name="blocks",
    label=N_("Street-front blocks"),
    map_kind="blocks",
    endpoint="blocks.layer",
    popup="block",
    style=MapStyle("area"),
    map_roles=STATION_ROLES,
)
PEOPLE = LayerSpec(
    name="people",
    label=N_("People"),
    # Entering old records (``geoapp import people``, /entry): the columns a register may use.
    aliases={
        "name": ("姓名", "name", "名字"),
        "id_number": (
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "证件号码",
            "证件号",
            "id_number",
            "id number",
        ),
        "address": ("标准地址", "地址", "现住址", "居住地址", "address", "standard_address"),
        "phone": ("电话", "联系电话", "手机", "手机号码", "phone", "telephone"),
        "relation": ("与户主关系", "关系", "relation"),
        "household": ("户号", "household", "household_no"),
        "id_type": ("证件类型", "证件种类", "id_type"),
        "ethnicity": ("民族", "ethnicity"),
        "hukou_address": ("户籍地", "户籍地址", "户籍地详址", "hukou_address"),
        "residence_type": ("居住类型", "人口类型", "residence_type"),
        "sex": ("性别", "sex"),
        "birth_date": ("出生日期", "birth_date"),
    },
    sheet="人口",
    masked={"id_number": MASK_ID_NUMBER, "phone": MASK_PHONE},
)

REGISTRY: dict[str, LayerSpec] = {
    spec.name: spec for spec in (VILLAGES, STREETS, BUILDINGS, UNITS, SHOPS, FACTORIES, BLOCKS, PEOPLE)
}
# The order files and workbooks list the GIS layers in.
GIS_LAYERS = tuple(s.name for s in REGISTRY.values() if s.gis_export)
IMPORTABLE = ("villages", "buildings", "streets", "units")  # the order the CLI offers them
# Map layers drawn under the houses (first = bottom), then the houses, then the unit layers.
MAP_LAYERS = ("villages", "blocks", "streets", "buildings", "shops", "factories")
# Words the ``kind`` query parameter of the unit layer takes: a unit kind, or a map layer's.
UNIT_KIND_WORDS: dict[str, tuple[str, ...]] = {
    **{k.value: (k.value,) for k in UnitKind},
    "factory": (UnitKind.ENTERPRISE.value,),
    **{s.name: s.unit_kinds for s in (SHOPS, FACTORIES)},
}


def spec(name: str) -> LayerSpec:
    return REGISTRY[name]


def status_legend() -> list[tuple[str, str]]:
    """(colour, label msgid) per collection status."""
    return [(STATUS_COLOURS[s], label) for s, label in STATUS_LABELS.items()]

"""Fixed reference data for the demo network: cities, the Spring Festival table, names and categories."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class City(NamedTuple):
    zh: str
    en: str
    province: str
    region: str
    latitude: float
    longitude: float


# Prefecture-level cities with approximate city-centre coordinates (WGS84, degrees).
CITIES: tuple[City, ...] = (
    City("上海", "Shanghai", "上海", "East", 31.2304, 121.4737),
    City("北京", "Beijing", "北京", "North", 39.9042, 116.4074),
    City("广州", "Guangzhou", "广东", "South", 23.1291, 113.2644),
    City("深圳", "Shenzhen", "广东", "South", 22.5431, 114.0579),
    City("成都", "Chengdu", "四川", "Southwest", 30.5728, 104.0668),
    City("重庆", "Chongqing", "重庆", "Southwest", 29.5630, 106.5516),
    City("武汉", "Wuhan", "湖北", "Central", 30.5928, 114.3055),
    City("杭州", "Hangzhou", "浙江", "East", 30.2741, 120.1551),
    City("南京", "Nanjing", "江苏", "East", 32.0603, 118.7969),
    City("西安", "Xi'an", "陕西", "Northwest", 34.3416, 108.9398),
    City("天津", "Tianjin", "天津", "North", 39.3434, 117.3616),
    City("苏州", "Suzhou", "江苏", "East", 31.2989, 120.5853),
    City("郑州", "Zhengzhou", "河南", "Central", 34.7466, 113.6253),
    City("长沙", "Changsha", "湖南", "Central", 28.2282, 112.9388),
    City("沈阳", "Shenyang", "辽宁", "Northeast", 41.8057, 123.4315),
    City("青岛", "Qingdao", "山东", "East", 36.0671, 120.3826),
    City("济南", "Jinan", "山东", "East", 36.6512, 117.1201),
    City("哈尔滨", "Harbin", "黑龙江", "Northeast", 45.8038, 126.5350),
    City("福州", "Fuzhou", "福建", "East", 26.0745, 119.2965),
    City("厦门", "Xiamen", "福建", "East", 24.4798, 118.0894),
    City("昆明", "Kunming", "云南", "Southwest", 25.0389, 102.7183),
    City("合肥", "Hefei", "安徽", "East", 31.8206, 117.2272),
    City("南宁", "Nanning", "广西", "South", 22.8170, 108.3665),
    City("南昌", "Nanchang", "江西", "Central", 28.6820, 115.8579),
    City("石家庄", "Shijiazhuang", "河北", "North", 38.0428, 114.5149),
    City("太原", "Taiyuan", "山西", "North", 37.8706, 112.5489),
    City("长春", "Changchun", "吉林", "Northeast", 43.8171, 125.3235),
    City("大连", "Dalian", "辽宁", "Northeast", 38.9140, 121.6147),
    City("贵阳", "Guiyang", "贵州", "Southwest", 26.6470, 106.6302),
    City("兰州", "Lanzhou", "甘肃", "Northwest", 36.0611, 103.8343),
    City("乌鲁木齐", "Urumqi", "新疆", "Northwest", 43.8256, 87.6168),
    City("呼和浩特", "Hohhot", "内蒙古", "North", 40.8426, 111.7490),
    City("银川", "Yinchuan", "宁夏", "Northwest", 38.4872, 106.2309),
    City("西宁", "Xining", "青海", "Northwest", 36.6171, 101.7782),
    City("海口", "Haikou", "海南", "South", 20.0440, 110.1999),
    City("宁波", "Ningbo", "浙江", "East", 29.8683, 121.5440),
    City("无锡", "Wuxi", "江苏", "East", 31.4912, 120.3119),
    City("佛山", "Foshan", "广东", "South", 23.0215, 113.1214),
    City("东莞", "Dongguan", "广东", "South", 23.0207, 113.7518),
    City("温州", "Wenzhou", "浙江", "East", 27.9938, 120.6994),
)
CITY_BY_EN = {c.en: c for c in CITIES}

# First day of the lunar new year (春节), Gregorian calendar. Moves every year, so it is a table.
SPRING_FESTIVAL: dict[int, date] = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
}

# Two-character trade names used to build company names (fictional).
TRADE_NAMES: tuple[tuple[str, str], ...] = (
    ("华通", "Huatong"), ("鑫源", "Xinyuan"), ("恒泰", "Hengtai"), ("联华", "Lianhua"), ("嘉禾", "Jiahe"),
    ("瑞丰", "Ruifeng"), ("宏达", "Hongda"), ("永盛", "Yongsheng"), ("金润", "Jinrun"), ("百汇", "Baihui"),
    ("信诚", "Xincheng"), ("福源", "Fuyuan"), ("长青", "Changqing"), ("众鑫", "Zhongxin"), ("新辰", "Xinchen"),
    ("顺和", "Shunhe"), ("佳美", "Jiamei"), ("天宇", "Tianyu"), ("德隆", "Delong"), ("安泰", "Antai"),
)

RETAIL_FORMATS: tuple[tuple[str, str], ...] = (
    ("超市", "Supermarket"), ("便利店", "Convenience Store"), ("生活超市", "Neighbourhood Market"),
    ("烟酒店", "Tobacco & Liquor Shop"), ("百货", "Department Store"), ("批发部", "Wholesale Counter"),
)

SUPPLY_KINDS: tuple[tuple[str, str], ...] = (
    ("包装材料", "Packaging Materials"), ("茶叶", "Tea Leaf"), ("果蔬原料", "Fruit & Vegetable Ingredients"),
    ("粮油", "Grain & Oil"), ("食品添加剂", "Food Ingredients"), ("印刷", "Printing"), ("纸箱", "Carton"),
)

# Category tree: (code, zh, en, profile of most of its SKUs, list-price range in CNY, shelf life days)
# with leaves (code, zh, en, product bases [(zh, en)], packs [(zh, en, units)]).
CATEGORY_TREE: tuple[tuple[str, str, str, str, tuple[float, float], int, tuple], ...] = (
    ("BEV", "饮料", "Beverages", "seasonal", (3.0, 60.0), 365, (
        ("TEA", "茶饮料", "Tea drinks", (("茉莉绿茶", "Jasmine green tea"), ("乌龙茶", "Oolong tea"),
                                         ("柠檬红茶", "Lemon black tea"), ("大麦茶", "Barley tea"))),
        ("JUICE", "果汁", "Juice", (("橙汁", "Orange juice"), ("苹果汁", "Apple juice"),
                                   ("椰子汁", "Coconut juice"), ("山楂汁", "Hawthorn juice"))),
        ("WATER", "饮用水", "Drinking water", (("天然矿泉水", "Natural mineral water"),
                                              ("苏打水", "Soda water"))),
        ("DAIRY", "乳饮品", "Dairy drinks", (("酸奶饮品", "Yoghurt drink"), ("乳酸菌饮品", "Lactic drink"))),
    )),
    ("SNACK", "休闲食品", "Snacks", "promotional", (5.0, 88.0), 270, (
        ("NUTS", "坚果炒货", "Nuts and seeds", (("每日坚果", "Daily nuts"), ("碧根果", "Pecans"),
                                             ("瓜子", "Sunflower seeds"))),
        ("BISC", "饼干糕点", "Biscuits and pastries", (("苏打饼干", "Soda crackers"), ("蛋黄酥", "Egg yolk pastry"),
                                                    ("凤梨酥", "Pineapple cake"))),
        ("CANDY", "糖果", "Confectionery", (("牛轧糖", "Nougat"), ("软糖", "Gummies"))),
    )),
    ("GIFT", "礼盒", "Gift boxes", "seasonal", (68.0, 398.0), 300, (
        ("NY-GIFT", "年货礼盒", "New Year gift boxes", (("坚果礼盒", "Nut gift box"),
                                                      ("茶礼盒", "Tea gift box"))),
        ("MOON", "中秋礼盒", "Mid-Autumn gift boxes", (("月饼礼盒", "Mooncake gift box"),)),
    )),
    ("GRAIN", "粮油", "Grain and oil", "promotional", (9.0, 129.0), 540, (
        ("OIL", "食用油", "Cooking oil", (("花生油", "Peanut oil"), ("菜籽油", "Rapeseed oil"))),
        ("RICE", "大米", "Rice", (("东北大米", "Northeast rice"), ("香米", "Fragrant rice"))),
        ("NOODLE", "面条", "Noodles", (("挂面", "Dried noodles"), ("方便面", "Instant noodles"))),
    )),
    ("COND", "调味品", "Condiments", "seasonal", (4.0, 45.0), 720, (
        ("SOY", "酱油", "Soy sauce", (("生抽", "Light soy sauce"), ("老抽", "Dark soy sauce"))),
        ("VINEGAR", "醋", "Vinegar", (("陈醋", "Aged vinegar"), ("米醋", "Rice vinegar"))),
        ("SAUCE", "酱料", "Sauces", (("辣椒酱", "Chilli sauce"), ("蚝油", "Oyster sauce"))),
    )),
)

PRODUCT_LINES: tuple[tuple[str, str], ...] = (
    ("经典", "Classic"), ("轻享", "Lite"), ("臻选", "Select"), ("家庭装", "Family"), ("有机", "Organic"),
    ("低糖", "Low sugar"), ("限定", "Limited"), ("原味", "Original"),
)
PACKS: tuple[tuple[str, str, int], ...] = (
    ("单件", "single", 1), ("6件装", "6-pack", 6), ("12件装", "12-pack", 12), ("整箱24件", "case of 24", 24),
)

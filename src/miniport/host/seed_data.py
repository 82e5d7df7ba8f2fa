"""The demo's host-app content, in one place: people, brand accounts and notes per instance.

Brand facts follow the news story the demo retells (which luxury houses had enterprise
accounts; Burberry's and Gucci's tie-ups with the platform). The notes are invented for
the demo. Counts are plausible, not real.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PersonSeed:
    username: str
    display_name: str
    bio: str = ""


@dataclass(frozen=True, slots=True)
class BrandSeed:
    slug: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]
    color: str
    monogram: str
    bio_zh: str
    bio_en: str
    followers: dict[str, int]  # per instance


@dataclass(frozen=True, slots=True)
class NoteSeed:
    author: str  # a person's username, or "@<brand slug>" for the brand's own account
    title: str
    body: str
    caption: str
    shape: str
    palette: int
    likes: int
    comments: int
    hours_ago: int


BRANDS: tuple[BrandSeed, ...] = (
    BrandSeed(
        slug="gucci",
        name_zh="GUCCI古驰",
        name_en="Gucci",
        aliases=("古驰", "Gucci", "GUCCI", "古奇"),
        color="#1e4d3a",
        monogram="GG",
        bio_zh="古驰官方企业号｜新系列、秀场与精品店活动在这里首发",
        bio_en="Gucci's official account: new collections, shows and boutique events first.",
        followers={"xiaohongshu": 1_264_000, "jd": 845_000},
    ),
    BrandSeed(
        slug="louis-vuitton",
        name_zh="LOUIS VUITTON路易威登",
        name_en="Louis Vuitton",
        aliases=("路易威登", "Louis Vuitton", "LOUIS VUITTON", "LV"),
        color="#6b4b2e",
        monogram="LV",
        bio_zh="路易威登官方企业号｜旅行的艺术，从一只硬箱开始",
        bio_en="Louis Vuitton's official account. The art of travel, since the first trunk.",
        followers={"xiaohongshu": 2_031_000, "jd": 1_518_000},
    ),
    BrandSeed(
        slug="burberry",
        name_zh="BURBERRY巴宝莉",
        name_en="Burberry",
        aliases=("巴宝莉", "博柏利", "Burberry", "BURBERRY"),
        color="#a0743f",
        monogram="B",
        bio_zh="巴宝莉官方企业号｜风衣、格纹与伦敦的雨",
        bio_en="Burberry's official account: trench coats, the check, and London rain.",
        followers={"xiaohongshu": 688_000, "jd": 402_000},
    ),
    BrandSeed(
        slug="coach",
        name_zh="COACH蔻驰",
        name_en="Coach",
        aliases=("蔻驰", "Coach", "COACH"),
        color="#8a3b24",
        monogram="C",
        bio_zh="蔻驰官方企业号｜纽约皮革工坊的日常搭配灵感",
        bio_en="Coach's official account: everyday style from a New York leather workshop.",
        followers={"xiaohongshu": 512_000, "jd": 733_000},
    ),
    BrandSeed(
        slug="cartier",
        name_zh="Cartier卡地亚",
        name_en="Cartier",
        aliases=("卡地亚", "Cartier", "CARTIER"),
        color="#9b1b30",
        monogram="Ca",
        bio_zh="卡地亚官方企业号｜珠宝与腕表的经典设计",
        bio_en="Cartier's official account: jewellery and watch design classics.",
        followers={"xiaohongshu": 934_000, "jd": 611_000},
    ),
    BrandSeed(
        slug="celine",
        name_zh="CELINE思琳",
        name_en="Celine",
        aliases=("思琳", "赛琳", "Celine", "CELINE"),
        color="#1d1d1f",
        monogram="CE",
        bio_zh="思琳官方企业号｜巴黎的简约与克制",
        bio_en="Celine's official account: Parisian restraint and clean lines.",
        followers={"xiaohongshu": 577_000, "jd": 298_000},
    ),
)

PEOPLE: dict[str, tuple[PersonSeed, ...]] = {
    "xiaohongshu": (
        PersonSeed("lin", "林小满", "上海｜通勤穿搭和包包测评"),
        PersonSeed("momo", "Momo酱", "爱逛精品店的打工人"),
        PersonSeed("ava", "Ava Chen", "Shanghai ↔ London. Vintage bags, honest reviews."),
        PersonSeed("xiaoyu", "小雨不带伞", "风衣收集者"),
        PersonSeed("jun", "阿俊", "手表与首饰入门笔记"),
    ),
    "jd": (
        PersonSeed("lin", "林小满", "只买自己用得上的"),
        PersonSeed("dongdong", "东东爱晒单", "认真写每一条评价"),
        PersonSeed("grace", "Grace W.", "Gifts, deliveries and unboxings."),
        PersonSeed("laozhang", "老张", "给家里人挑礼物的普通人"),
    ),
}

NOTES: dict[str, tuple[NoteSeed, ...]] = {
    "xiaohongshu": (
        NoteSeed(
            "lin",
            "Gucci 新款竹节包｜上班背一周的真实感受",
            "连续背了五天通勤。竹节手柄比想象中轻，手提不累；肩带拆下来就是晚饭的小包。"
            "容量放得下折叠伞、粉饼和一个充电宝，但放不下14寸电脑。颜色选了墨绿，和米色风衣很配。",
            "GUCCI 竹节包",
            "bag",
            2,
            8_412,
            316,
            5,
        ),
        NoteSeed(
            "@gucci",
            "古驰秋冬系列｜精品店预约试穿开启",
            "本季新品已陆续到店。可在企业号卡片上的小程序里预约试穿，选择离你最近的精品店和专属顾问。",
            "古驰 秋冬新品",
            "scarf",
            2,
            12_905,
            1_043,
            9,
        ),
        NoteSeed(
            "ava",
            "My first Gucci Jackie: worth the wait?",
            "Bought it after trying three sizes in the Shanghai boutique. The small one fits a "
            "phone, card case and lipstick. Leather feels soft, hardware is solid. "
            "Tip: ask the store to hold a colour for you, they do it for a day.",
            "GUCCI Jackie",
            "bag",
            6,
            3_208,
            190,
            30,
        ),
        NoteSeed(
            "momo",
            "路易威登老花托特｜三年使用后的状态",
            "背了三年，帆布几乎没有磨损，手柄的原色牛皮已经变成蜂蜜色，越用越好看。"
            "唯一建议：下雨天注意别让手柄长时间泡水。",
            "LV 老花托特",
            "bag",
            1,
            15_770,
            892,
            14,
        ),
        NoteSeed(
            "ava",
            "LV Speedy 25 vs 30: which one for travel?",
            "I carried the 25 through two trips. It fits a day's essentials, but the 30 takes a "
            "light cardigan too. If you mostly travel by train, the 30 with a strap wins.",
            "LV Speedy",
            "bag",
            1,
            6_551,
            402,
            40,
        ),
        NoteSeed(
            "@louis-vuitton",
            "路易威登旅行箱｜工坊里的手工细节",
            "每一只硬箱都经过数百道工序。这一期带你看看木质框架和铆钉是如何被一一固定的。",
            "路易威登 硬箱",
            "bag",
            5,
            21_340,
            1_508,
            20,
        ),
        NoteSeed(
            "xiaoyu",
            "巴宝莉经典风衣｜梅雨季的正确打开方式",
            "Kensington 版型肩线利落，系上腰带显瘦。防水面料在小雨里完全没问题，"
            "内衬的格纹翻出来也很好看。尺码建议正常选。",
            "巴宝莉 风衣",
            "scarf",
            1,
            9_876,
            533,
            22,
        ),
        NoteSeed(
            "@burberry",
            "Burberry 格纹围巾｜五种系法",
            "从简单的一圈绕法到巴黎结，五种系法适合不同领口。羊绒格纹围巾现已到店。",
            "BURBERRY 围巾",
            "scarf",
            6,
            7_412,
            288,
            33,
        ),
        NoteSeed(
            "lin",
            "蔻驰 Tabby 包｜通勤党的平价入门",
            "比预期更能装，斜挎不勒肩。金属扣开合很顺，做工细致。适合第一次买轻奢包的姐妹。",
            "COACH Tabby",
            "bag",
            7,
            5_630,
            244,
            50,
        ),
        NoteSeed(
            "ava",
            "Coach outlet or boutique? What I learned",
            "Boutique pieces use the nicer leathers and get repairs more easily. Outlet lines "
            "are fine for a casual tote. Ask for the care card either way.",
            "COACH tips",
            "bag",
            3,
            2_104,
            156,
            60,
        ),
        NoteSeed(
            "jun",
            "卡地亚 Tank 腕表｜第一块正装表怎么选",
            "表盘小巧，罗马数字经典。石英款维护简单，适合第一块正装表。表带建议选深棕色，四季百搭。",
            "卡地亚 Tank",
            "watch",
            4,
            11_230,
            677,
            26,
        ),
        NoteSeed(
            "momo",
            "Cartier Love 手镯｜佩戴一年的磨损记录",
            "日常佩戴一年，表面有细小划痕，但在灯光下几乎看不出。silver-tone 的螺丝刀要收好，"
            "取下来需要它。洗手时不用摘。",
            "Cartier Love",
            "ring",
            6,
            8_901,
            455,
            70,
        ),
        NoteSeed(
            "@cartier",
            "卡地亚猎豹系列｜灵感的一百年",
            "猎豹在卡地亚的设计里出现已有一个世纪。本期介绍高级珠宝工坊如何用宝石呈现猎豹的斑纹。",
            "卡地亚 猎豹",
            "ring",
            5,
            14_002,
            820,
            44,
        ),
        NoteSeed(
            "xiaoyu",
            "思琳凯旋门腋下包｜极简党的心头好",
            "没有大 logo，只有一枚凯旋门扣。容量刚好放手机和卡包，适合周末出门。",
            "CELINE 腋下包",
            "bag",
            5,
            6_789,
            301,
            80,
        ),
        NoteSeed(
            "ava",
            "Celine sunglasses: the triomphe frame",
            "Heavy acetate, sits well on a low nose bridge. The brown lens is great for driving. "
            "Comes with a leather case that is nicer than I expected.",
            "CELINE 墨镜",
            "sunglasses",
            3,
            3_455,
            140,
            90,
        ),
        NoteSeed(
            "jun",
            "香水小样分享｜五个奢牌的木质调",
            "把古驰、巴宝莉和思琳的木质调小样都试了一遍。古驰偏甜，巴宝莉更清爽，思琳最安静。",
            "木质香",
            "perfume",
            0,
            4_318,
            265,
            100,
        ),
    ),
    "jd": (
        NoteSeed(
            "dongdong",
            "晒单｜路易威登官方渠道买的 Neverfull",
            "次日达，外箱、防尘袋和小票都齐全。老花印花对称，走线整齐。给妈妈的生日礼物，她很喜欢。",
            "LV Neverfull",
            "bag",
            1,
            9_842,
            1_205,
            6,
        ),
        NoteSeed(
            "@louis-vuitton",
            "路易威登官方小程序｜线上预约，门店取货",
            "在企业号卡片上打开路易威登小程序，可线上下单并选择附近精品店取货，或预约专属顾问。",
            "路易威登 门店取货",
            "bag",
            5,
            18_330,
            2_410,
            12,
        ),
        NoteSeed(
            "grace",
            "LV gift wrapping: what arrives at your door",
            "The box comes in a plain outer carton for discretion, then the orange-brown gift box "
            "with ribbon. Delivery was the next morning. Card included if you ask.",
            "LV 礼盒",
            "bag",
            6,
            4_510,
            388,
            30,
        ),
        NoteSeed(
            "laozhang",
            "给老婆挑的卡地亚手镯｜购买流程记录",
            "对比了几个渠道，最后选择官方授权。发票、保卡齐全，刻字服务需要等两周。",
            "卡地亚 手镯",
            "ring",
            4,
            6_120,
            733,
            20,
        ),
        NoteSeed(
            "dongdong",
            "古驰腰带｜尺码怎么选不踩雷",
            "平时穿 M 码裤子选了 85。双 G 扣很亮，搭西裤和牛仔都行。建议量一下现有腰带的孔距。",
            "GUCCI 腰带",
            "bag",
            2,
            5_077,
            612,
            40,
        ),
        NoteSeed(
            "grace",
            "Coach wallet: a practical gift under budget",
            "Slim, fits eight cards and some cash. Arrived in a gift box with a care booklet. "
            "Good pick if you want something branded but everyday.",
            "COACH 钱包",
            "bag",
            7,
            2_980,
            214,
            55,
        ),
        NoteSeed(
            "laozhang",
            "巴宝莉围巾｜送长辈的保暖礼物",
            "羊绒手感软，不扎脖子。经典格纹长辈也喜欢，包装很体面。",
            "巴宝莉 围巾",
            "scarf",
            1,
            3_366,
            190,
            70,
        ),
        NoteSeed(
            "dongdong",
            "思琳墨镜开箱｜附真伪细节",
            "镜腿内侧刻字清晰，镜盒是皮质的。戴上显脸小，通勤开车都合适。",
            "CELINE 墨镜",
            "sunglasses",
            3,
            2_745,
            160,
            90,
        ),
    ),
}

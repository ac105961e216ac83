"""Word lists for the NER/dictionary layer and the surrogates, all offline.

Name lists come from faker's zh_CN and en_US providers (static class data, read without
building a ``Faker`` object); the curated lists below are what must *survive* masking
(relatives, cities, weekdays, ...) or what keeps common words from looking like names.
"""

from __future__ import annotations

from functools import cache

from faker.providers.address import en_US as _address_en
from faker.providers.address import zh_CN as _address_zh
from faker.providers.company import zh_CN as _company_zh
from faker.providers.person import en_US as _person_en
from faker.providers.person import zh_CN as _person_zh


def words(text: str) -> list[str]:
    """The whitespace-separated words of a (multi-line) word list."""
    return text.split()


# --------------------------------------------------------------------------- Chinese names

# faker's surnames are ordered by frequency; the first ~130 are common enough that rules
# built on them alone (小王, 王老师, 我朋友王芳) are worth the risk.
ZH_SURNAMES_ALL: tuple[str, ...] = tuple(_person_zh.Provider.last_names)
ZH_COMPOUND_SURNAMES: frozenset[str] = frozenset(
    words(
        """
        欧阳 司马 诸葛 上官 皇甫 令狐 慕容 端木 公孙 夏侯 尉迟 长孙 宇文 司徒 独孤 东方 南宫 西门
        """
    )
)
ZH_COMMON_SURNAMES: frozenset[str] = frozenset(
    s for s in ZH_SURNAMES_ALL[:130] if len(s) == 1 and s not in "于单成"
)
ZH_SURNAMES: frozenset[str] = frozenset(ZH_SURNAMES_ALL) | ZH_COMPOUND_SURNAMES

_FAKER_MALE = tuple(_person_zh.Provider.first_names_male)
_FAKER_FEMALE = tuple(_person_zh.Provider.first_names_female)
# Characters that lean one way in given names; a name is gendered when its given-name
# characters only lean one way.
ZH_MALE_CHARS = frozenset(
    "".join(_FAKER_MALE)
    + "伟强磊勇军杰涛超刚辉鹏飞鑫波斌浩凯健俊帆帅旭龙峰晨兵雷东博彬坤岩豪轩昊宸泽铭睿哲"
    "翔航毅彪虎虎骏驰鸣鹤松柏栋梁猛武威德义忠孝仁礼兴隆胜利国庆志刚铁钢锋力"
) - frozenset("宁欢佳阳红霞平林文明华利楠想成建亮宇瑞杨洋")
ZH_FEMALE_CHARS = frozenset(
    "".join(_FAKER_FEMALE)
    + "芳娜敏静丽艳娟霞燕玲丹萍婷晶颖雪慧倩琴云洁莹琳欣瑜璐妍婉媛莎佳瑶梅兰菊凤珍秀"
    "翠雅芝琼蕾薇露怡悦诗梦曼琪姗娇嫣姝婕娅妮萱蓉荷茜黛岚彤菲芸"
) - frozenset("英玉华红荣畅云柳春海冬金花小")
# Any character that often appears in a given name (for shape checks, not gender).
ZH_GIVEN_CHARS = (
    ZH_MALE_CHARS
    | ZH_FEMALE_CHARS
    | frozenset(
        "".join(_FAKER_MALE + _FAKER_FEMALE)
        + "明华文建国平晓小宇子嘉佳思梓一若欣家永新春秋海天金玉英红荣阳林宁洋立朝光清"
        "亚莉可心安晴然涵雨晗依诺奕俊辰熙逸哲凡宏广成长树"
    )
)
ZH_MALE_GIVEN: tuple[str, ...] = (
    *_FAKER_MALE,
    *words(
        """
        浩宇 子轩 俊杰 宇航 志明 文博 浩然 家豪 天宇 子豪 建伟 晓东 立新 国强 海涛
        """
    ),
)
ZH_FEMALE_GIVEN: tuple[str, ...] = (
    *_FAKER_FEMALE,
    *words(
        """
        欣怡 梓涵 诗涵 雨桐 思琪 佳怡 晓燕 婉婷 雅琴 梦瑶 静怡 美玲 丽娟 晓雯 佳琪
        """
    ),
)

# Words a name rule must never take, whatever jieba or the surname list say.
ZH_NAME_STOPWORDS = frozenset(
    words(
        """
        老师 老公 老婆 老家 老板 老人 老乡 老大 老二 老三 老实 老外 老是 老成 老天 老爷 老总 老娘
        老友 老妈 老爸 老哥 老姐 老弟 老妹 老少 老年 老化 老虎 老鼠 老毛病 老样子 老地方 老朋友
        老同学 小时 小说 小姐 小学 小孩 小区 小心 小白 小米 小包 小车 小于 小钱 小康 小组 小子
        小伙 小伙子 小姑娘 小朋友 小事 小时候 小吃 小猫 小狗 小雪 小满 小年 小兰 小强 小红书 小明
        小鸟 小组长 小毛病 小黄车 小马哥 小动作 小气 小费 小数 小型 小便 小麦 小米粥 小宝宝 小宝贝
        小王子 阿姨 阿公 阿婆 阿爸 阿妈 阿哥 阿姐 阿弟 阿妹 阿叔 阿伯 阿拉 阿里 阿根廷 阿里巴巴
        高兴 高考 高中 高三 高二 高一 高度 高级 高手 高铁 高速 高校 高峰 高温 高烧 高跟鞋 王者
        荣耀 黄金 白天 白色 万一 马上 方便 方法 方面 安全 安静 文化 文静 于是 常常 周末 周围 江湖
        明明 明天 明年 明白 平静 平时 平常 平安 金钱 石头 林子 宋体 温暖 温柔 温度 康复 龙虾 牛奶
        牛逼 叶子 钟头 钱包 程序 程度 朱红 杨柳 柳树 梅花 兰花 田地 田野 包子 车子 毛病 毛衣 孔子
        孟子 庄子 老子 韩国 韩剧 曹操 任务 任何 任性 任意 余额 余生 夏天 秋天 冬天 春天 武汉 武器
        史上 石家庄 沈阳 戴口罩 严重 严格 严肃 齐全 易怒 易感 童年 童话 左右 左边 尚未 纪律 纪念
        单位 单身 单纯 单亲 成绩 成年 成长 成功 向往 关系 关心 关注 谢谢 华为 洪水 邵阳 陶瓷 杜绝
        苏醒 胡说 胡思乱想 贺卡 顾虑 顾客 宁愿 宁可 符合 舒服 舒适 鲁莽 岳父 岳母 焦虑 焦急 焦躁
        潘多拉 熊孩子 熊猫 童工 古董 江苏 张家口 李子 黄金周
        """
    )
)

# Function and common characters that end a name found by a cue (我朋友王芳说 -> 王芳).
ZH_NAME_BREAK_CHARS = frozenset(
    "的了是说和在也都很对跟给把被让就还又不没她他我你们吧呢啊吗呀哦嘛着过地得与及或"
    "这那哪有去来到从向往为被比等要会能想叫问讲告诉骂打喊见约找陪帮请觉感一二三四五六七八九十"
    "个些上下里中前后大多少好坏最太更真挺特别非常总经理老师医生"
)

# Titles after a surname: 王老师, 张医生, 李总 (the title stays in the text).
ZH_TITLES: tuple[str, ...] = tuple(
    sorted(
        words(
            """
            老师 医生 大夫 总 经理 主任 教授 博士 律师 护士 师傅 先生 女士 小姐 同学 阿姨 叔叔
            伯伯 奶奶 爷爷 姐 哥 警官 科长 处长 局长 校长 书记 院长 董 主管 组长 班长 班主任 导员
            辅导员 老板 姐姐 哥哥 叔 婶 姨 总监 咨询师 队长 部长 所长 厂长 站长 老太 老太太 大爷
            大妈 教练 教官 编辑 导演 会计 医师 药师
            """
        ),
        key=len,
        reverse=True,
    )
)

# Cues after which a Chinese full name is expected: 我叫王芳, 我朋友王芳, 同事张伟说.
ZH_NAME_CUES: tuple[str, ...] = tuple(
    sorted(
        words(
            """
            我叫 叫做 名叫 名字是 名字叫 姓名是 姓名 我是 她叫 他叫 朋友 好友 闺蜜 同学 同事 室友
            舍友 男朋友 女朋友 男友 女友 前男友 前女友 前夫 前妻 老公 老婆 丈夫 妻子 爱人 对象
            领导 上司 老板 表哥 表姐 表弟 表妹 堂哥 堂姐 堂弟 堂妹 哥们 发小 邻居 学长 学姐 学弟
            学妹 师兄 师姐 同桌 网友 朋友叫 儿子 女儿 孩子 组长 班长 经理 主管 上级 主任 班主任 导师
            队长 部长 总监 搭档 合伙人 房东 室友叫 同事叫
            """
        ),
        key=len,
        reverse=True,
    )
)

# --------------------------------------------------------------------------- Chinese places

ZH_PROVINCES: tuple[str, ...] = tuple(_address_zh.Provider.provinces)
ZH_CITIES: frozenset[str] = frozenset(_address_zh.Provider.cities) | frozenset(
    words(
        """
        北京 上海 天津 重庆 广州 深圳 杭州 南京 苏州 武汉 成都 西安 长沙 郑州 青岛 大连 宁波 厦门
        福州 济南 合肥 南昌 昆明 贵阳 南宁 海口 三亚 兰州 西宁 银川 拉萨 乌鲁木齐 呼和浩特 太原
        石家庄 沈阳 长春 哈尔滨 无锡 常州 南通 徐州 扬州 温州 绍兴 嘉兴 金华 台州 佛山 东莞 珠海
        中山 惠州 汕头 湛江 洛阳 开封 烟台 潍坊 临沂 唐山 保定 桂林 柳州 绵阳 宜昌 襄阳 九江 赣州
        芜湖 蚌埠 泉州 漳州 莆田 香港 澳门 台北 高雄 台中 衡水 周口 邯郸 秦皇岛 大同 包头 鞍山
        """
    )
)
_PROVINCE_SHORT = frozenset(
    p.removesuffix("省").removesuffix("市").removesuffix("特别行政区").removesuffix("自治区")
    for p in ZH_PROVINCES
) | frozenset(["内蒙古", "广西", "宁夏", "新疆", "西藏"])
ZH_COUNTRIES = frozenset(
    words(
        """
        中国 美国 英国 法国 德国 日本 韩国 俄罗斯 加拿大 澳大利亚 新加坡 马来西亚 泰国 越南 印度
        意大利 西班牙 荷兰 瑞士 瑞典 新西兰 巴西 墨西哥 朝鲜 菲律宾 印尼 国外 海外 大陆 内地
        """
    )
)
# Regions coarser than a city; never masked on their own.
ZH_REGIONS = frozenset(
    words(
        """
        东北 华北 华南 华东 华中 西北 西南 江南 江北 岭南 中原 关中 沿海 内陆 南方 北方 西部 东部
        南部 北部 中部 长三角 珠三角 京津冀 大湾区 港澳台 亚洲 欧洲 非洲 美洲 北美 南美
        """
    )
)
# Well-known districts (finer than a city), so 我住在海淀 is masked even without 区.
ZH_DISTRICTS: frozenset[str] = frozenset(_address_zh.Provider.districts) | frozenset(
    words(
        """
        海淀 朝阳 东城 西城 丰台 石景山 通州 顺义 昌平 大兴 房山 浦东 徐汇 静安 黄浦 长宁 虹口
        杨浦 闵行 宝山 嘉定 松江 青浦 南山 福田 罗湖 宝安 龙岗 龙华 天河 越秀 海珠 番禺 白云 黄埔
        西湖 拱墅 上城 滨江 萧山 余杭 鼓楼 玄武 秦淮 建邺 江宁 武昌 汉口 汉阳 洪山 锦江 青羊 武侯
        金牛 成华 雁塔 碑林 莲湖 岳麓 芙蓉 天心 开福 中关村 望京 五道口 陆家嘴 张江 漕河泾 前海
        后海
        """
    )
)


def is_city_level(word: str) -> bool:
    """A province, city, country or region: coarse enough to survive masking."""
    core = word
    for suffix in ("特别行政区", "自治区", "省", "市"):
        if core.endswith(suffix) and len(core) > len(suffix):
            core = core[: -len(suffix)]
            break
    return (
        word in ZH_PROVINCES
        or core in ZH_CITIES
        or core in _PROVINCE_SHORT
        or core in ZH_COUNTRIES
        or core in ZH_REGIONS
    )


# --------------------------------------------------------------------------- Chinese orgs

# Well-known employers, masked only after an employment cue (在腾讯上班), never as words.
ZH_EMPLOYERS = frozenset(
    words(
        """
        腾讯 阿里 阿里巴巴 百度 华为 字节 字节跳动 京东 美团 小米 网易 拼多多 滴滴 快手 抖音 微软
        谷歌 苹果 亚马逊 联想 中兴 比亚迪 蔚来 小鹏 理想 大疆 携程 新浪 搜狐 360 顺丰 中通 圆通
        海尔 格力 美的 万达 万科 碧桂园 恒大 中石油 中石化 中海油 国家电网 南方电网 中国移动
        中国联通 中国电信 工商银行 建设银行 农业银行 中国银行 招商银行 交通银行 工行 建行 农行
        中行 招行 德勤 普华永道 安永 毕马威 麦肯锡 宝洁 富士康 三星 特斯拉 星巴克 麦当劳 肯德基
        海底捞 蚂蚁 蚂蚁金服 哔哩哔哩 B站 知乎 小红书 饿了么 贝壳 链家 平安 中国平安 中信 中金
        华泰 新东方 好未来
        """
    )
)

# Generic workplaces and work words: after an employment cue (在物流公司上班, 被公司裁员)
# they name no particular organisation.
ZH_WORKPLACE_WORDS = frozenset(
    words(
        """
        工地 工厂 厂里 车间 流水线 食堂 餐厅 饭店 餐馆 酒店 宾馆 超市 商场 商店 小店 店里 门店 店铺
        柜台 仓库 厨房 办公室 实验室 图书馆 医院 诊所 学校 幼儿园 公司 单位 部门 机关 银行 网吧
        酒吧 物业 外卖 快递 物流 平台 电脑 手机 家里 老家 网上 线上 线下 社区 街道 政府 部队 工位
        岗位 前台 后厨 工程 项目 项目组 团队 组里 机构 培训 补习 教培 大厂 小厂 私企 国企 外企
        央企 事业单位 体制内 体制 基层 一线 门口 楼下 附近 外面 本地 外地 当地 农村 城里 乡下
        服装 服装厂 电子厂 工作室 直播间 直播 主播 兼职 全职 加班 夜班 白班 工作 上班 打工
        """
    )
)
# Family and close relations (never an organisation, never masked as a name).
ZH_RELATIVES = frozenset(
    words(
        """
        爸爸 妈妈 父亲 母亲 爸 妈 爷爷 奶奶 外公 外婆 姥姥 姥爷 哥哥 姐姐 弟弟 妹妹 儿子 女儿 孩子
        老公 老婆 丈夫 妻子 爱人 对象 男朋友 女朋友 男友 女友 前任 前男友 前女友 继父 继母 后妈
        公公 婆婆 岳父 岳母 叔叔 阿姨 舅舅 舅妈 姑姑 姑父 伯伯 婶婶 表哥 表姐 表弟 表妹 堂哥 堂姐
        朋友 同事 同学 室友 舍友 老板 领导 上司 老师 邻居 家人 父母 亲戚 家里人 亲人 大人 别人
        """
    )
)

# --------------------------------------------------------------------------- English names

EN_FIRST_MALE: frozenset[str] = frozenset(_person_en.Provider.first_names_male) | frozenset(
    words(
        """
        Sam Ben Matt Nick Rob Andy Josh Leo Liam Jake Tom Tim Ted Ed Al Joe Jon Dan Max Ian Zach
        Ryan Owen Eli Finn Theo Oliver Harry Charlie Alfie Freddie Archie Toby Hugo Felix Oscar
        """
    )
)
EN_FIRST_FEMALE: frozenset[str] = frozenset(_person_en.Provider.first_names_female) | frozenset(
    words(
        """
        Liz Kate Jen Lily Ella Ava Lucy Sophie Ellie Ruby Beth Becky Meg Jess Abby Katy Kathy Sue
        Ann Annie Ellen Maggie Millie Poppy Isla Freya Evie Harriet Imogen Florence
        """
    )
)
EN_FIRST_NAMES: frozenset[str] = EN_FIRST_MALE | EN_FIRST_FEMALE
EN_LAST_NAMES: frozenset[str] = frozenset(_person_en.Provider.last_names) | frozenset(
    words(
        """
        Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Zhu Hu Guo Lin Gao Luo Zheng Liang
        Xie Tang Deng Feng Han Cao Zeng Peng Cai Pan Tian Dong Yuan Jiang Su Wei Cheng Lu Ding
        Shen Yao Kim Park Lee Choi Nguyen Tran Le Pham Singh Patel Kumar Khan Ali Ahmed Tanaka
        Suzuki Sato
        """
    )
)
PINYIN_SURNAMES = frozenset(
    words(
        """
        Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng
        Liang Xie Song Tang Deng Feng Han Cao Zeng Peng Cai Pan Tian Dong Yuan Jiang Su Wei Cheng
        Lu Ding Shen Yao Lv Fan Jin Shi Xia Qiu Fang Hou Zou Xiong Meng Qin Bai Jia Ye Yu Du
        """
    )
)

_MONTHS = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
)
_WEEKDAYS = (
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Fri Sat Sun"
)
# Capitalised words that are never names: relatives, speakers, pronouns, calendar and
# feeling words (these also block cues: "my friend Mom" is no name).
EN_NAME_STOPWORDS = frozenset(
    words(
        _MONTHS
        + " "
        + _WEEKDAYS
        + """
    I I'm I've I'd I'll Me My Mine We Us Our You Your He She It They Them His Her Hers Their
    Mom Mum Mommy Mummy Mama Momma Dad Daddy Papa Pa Ma Mother Father Grandma Grandpa Granny
    Grandmother Grandfather Nana Auntie Aunt Uncle Sis Bro Brother Sister Son Daughter Baby Babe
    Honey Sweetie Dear Sir Madam Ma'am God Lord Jesus Christ Allah Buddha Heaven Hell
    Counselor Counsellor Client Therapist Doctor Nurse Teacher Coach Boss Manager Patient
    The A An And But Or So If When While Then Yes No Not Ok OK Okay Oh Hi Hello Hey Well Sure
    Thanks Thank Please Sorry Maybe Also Just Now Today Tomorrow Yesterday Tonight Morning
    Christmas Easter Thanksgiving Halloween Valentine New Year Spring Fall Winter
    English Chinese American British Asian European Mandarin Cantonese Spanish French German
    Anxious Anxiety Sad Angry Happy Depressed Depression Stressed Stress Lonely Afraid Scared
    Tired Worried Fine Good Great Bad Better Worse Calm Upset Hurt Guilty Ashamed Hopeless
    Internet Google Facebook Instagram WeChat Twitter TikTok Zoom COVID ADHD PTSD OCD CBT DBT
    Session Homework Therapy Counseling Counselling Exam Exams Test Class School Work Job
    """
    )
)
# First names that are also ordinary words: names mid-sentence ("I told Grace"), but at a
# sentence start ("Hope is hard") only with a speech verb ("Grace said").
EN_AMBIGUOUS_NAMES = frozenset(
    words(
        """
    Will Grace Hope Joy Faith Dawn Amber Crystal Jade Destiny Christian Angel Mark Rose Art Guy
    Bill Chase Hunter Misty Sandy Holly Heather Brandy Ruby Iris Sky Star Sunny Mercy Patience
    Harmony Melody Precious Trinity Genesis Journey Justice Miracle Serenity Unique Shadow Rich
    Summer Autumn Frank Bob Pat Sue Gene Tyler Jackson Madison Savannah Chelsea Warren Chester
    Marion Lincoln Austin Taylor Jordan Camden Brooke Lane Dale Glen Glenn Cliff Drew
    """
    )
)
# First names that are mostly months or places: names only after a cue or before a speech
# verb ("my friend April", "Paris said").
EN_NOT_ALONE_NAMES = frozenset(
    words(
        """
    April May June August Paris Georgia Virginia Houston Dallas Denver Phoenix Orlando Sydney
    Florence Charlotte Carolina Dakota Montana Nevada Victoria Brooklyn China India Aurora
    Augusta Helena Raleigh Swift Holiday Page Young King Long
    """
    )
)
EN_CITIES = frozenset(
    words(
        """
        Boston Chicago Seattle Portland Atlanta Miami Detroit Philadelphia Pittsburgh Baltimore
        Houston Dallas Austin Denver Phoenix Vegas Angeles Francisco Diego Jose York Brooklyn
        Manhattan Queens Bronx Oakland Sacramento Minneapolis Cleveland Cincinnati Nashville
        Memphis Charlotte Orlando Tampa Honolulu Anchorage Toronto Vancouver Montreal London
        Manchester Birmingham Liverpool Edinburgh Glasgow Dublin Paris Berlin Madrid Rome Tokyo
        Seoul Beijing Shanghai Shenzhen Guangzhou Hangzhou Chengdu Wuhan Nanjing Tianjin Chongqing
        Xi'an Singapore Sydney Melbourne Auckland Delhi Mumbai Bangkok Hanoi Manila Taipei Kong
        Macau Dubai Cairo California Texas Florida Ohio Michigan Georgia Virginia Carolina
        Washington Oregon Arizona Massachusetts Illinois Pennsylvania Jersey America Canada
        England Scotland Britain Ireland Australia Japan Korea China Taiwan India Mexico Brazil
        Germany France Italy Spain Europe Asia
        """
    )
)


@cache
def en_gender(first: str) -> str | None:
    """'male', 'female' or None (unknown or used for both) for an English first name."""
    male, female = first in EN_FIRST_MALE, first in EN_FIRST_FEMALE
    if male != female:
        return "male" if male else "female"
    return None


def zh_gender(given: str) -> str | None:
    """'male', 'female' or None from the characters of a Chinese given name."""
    male = any(ch in ZH_MALE_CHARS for ch in given)
    female = any(ch in ZH_FEMALE_CHARS for ch in given)
    if male != female:
        return "male" if male else "female"
    return None


# --------------------------------------------------------------------------- surrogate pools

ZH_PLACE_NAMES: tuple[str, ...] = tuple(
    d for d in _address_zh.Provider.districts if len(d) == 2 and d not in ZH_CITIES
)
ZH_COMPANY_PREFIXES: tuple[str, ...] = tuple(
    p for p in _company_zh.Provider.company_prefixes if 2 <= len(p) <= 4 and "公司" not in p
)
EN_STATES: tuple[str, ...] = tuple(_address_en.Provider.states)

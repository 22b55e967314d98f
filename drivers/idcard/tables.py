"""Code tables printed on or implied by the card: nations (GB 3304) and province-level regions (GB/T 2260)."""

from __future__ import annotations

# GB 3304 as written on the ID card (汉, not 汉族); 97/98 are the two non-ethnic entries.
NATIONS: dict[str, str] = {
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝", "08": "壮",
    "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白", "15": "土家", "16": "哈尼",
    "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤", "22": "畲", "23": "高山", "24": "拉祜",
    "25": "水", "26": "东乡", "27": "纳西", "28": "景颇", "29": "柯尔克孜", "30": "土", "31": "达斡尔",
    "32": "仫佬", "33": "羌", "34": "布朗", "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌",
    "40": "普米", "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春", "53": "赫哲",
    "54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他", "98": "外国血统中国籍人士",
}  # fmt: skip

# Province-level divisions (first two digits of a division code), plus 71 Taiwan and the
# 81/82/83 prefixes of Hong Kong / Macao / Taiwan residence-permit numbers. Full six-digit tables
# change every year; a site may plug one in (see IdCardReader's ``known_region``).
_PROVINCE_LIST = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83"
)
PROVINCES: frozenset[str] = frozenset(_PROVINCE_LIST.split())

/**
 * Which scripts a name mixes. A name written in one script is ordinary; a name that mixes Latin with Cyrillic or Greek
 * ("аlice" with a Cyrillic а) exists to look like another one. The rule is UTS #39's "highly restrictive" level.
 */
import { codePoint } from './text.js';

// The scripts of Unicode 15.0, the oldest Unicode a supported Node (20.3, ICU 73) knows: an unknown name would make the
// regular expression throw. Letters of newer scripts count as one "other script", which Latin still cannot mix with.
const SCRIPTS = (
  'Latin Greek Cyrillic Han Hiragana Katakana Hangul Bopomofo Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian ' +
  'Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki Brahmi Braille Buginese Buhid Canadian_Aboriginal ' +
  'Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Coptic Cuneiform Cypriot Cypro_Minoan Deseret ' +
  'Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic ' +
  'Grantha Gujarati Gunjala_Gondi Gurmukhi Hanifi_Rohingya Hanunoo Hatran Hebrew Imperial_Aramaic ' +
  'Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Kawi Kayah_Li Kharoshthi ' +
  'Khitan_Small_Script Khmer Khojki Khudawadi Lao Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani ' +
  'Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui ' +
  'Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nag_Mundari Nandinagari ' +
  'New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian ' +
  'Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong ' +
  'Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian ' +
  'Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le ' +
  'Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic Vai ' +
  'Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square'
).split(' ');

// Digits, punctuation, `@` and combining accents belong to every script.
const SHARED = /[\p{Script=Common}\p{Script=Inherited}]/u;

// Latin goes with the scripts written beside it in East Asia (UTS #39 "highly restrictive"); nothing else mixes.
const ALLOWED_MIXES = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

let patterns: [string, RegExp][] | undefined;

/** The script of a letter, null for characters every script shares. */
function scriptOf(character: string): string | null {
  if (SHARED.test(character)) return null;
  patterns ??= SCRIPTS.map((name) => [name, new RegExp(`^\\p{Script=${name}}$`, 'u')]);
  return patterns.find(([, pattern]) => pattern.test(character))?.[0] ?? 'another script';
}

/**
 * Why a name mixes scripts in a way that can imitate another name, or null. Names the name's main script (the one with
 * the most letters) and the first letter of another: in "аlice", the Cyrillic а.
 */
export function mixedScriptProblem(name: string): string | null {
  const letters = new Map<string, { count: number; first: string }>();
  for (const character of name) {
    const script = scriptOf(character);
    if (script === null) continue;
    const seen = letters.get(script);
    if (seen) seen.count += 1;
    else letters.set(script, { count: 1, first: character });
  }
  const scripts = [...letters.keys()];
  if (scripts.length < 2 || ALLOWED_MIXES.some((mix) => scripts.every((s) => mix.includes(s)))) return null;
  const main = scripts.reduce((a, b) => (letters.get(b)!.count > letters.get(a)!.count ? b : a));
  const other = scripts.find((s) => s !== main && !ALLOWED_MIXES.some((mix) => mix.includes(main) && mix.includes(s)));
  const odd = other ?? scripts.find((s) => s !== main)!;
  const label = (script: string) => script.replace(/_/g, ' ');
  return `must not mix ${label(main)} and ${label(odd)} letters (${codePoint(letters.get(odd)!.first)})`;
}

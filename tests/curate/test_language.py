"""Turn and conversation language with the real lingua models (all languages, high accuracy)."""

from __future__ import annotations

import pytest

from wildchat.curate.language import LanguageDetector, conversation_language, language_name
from wildchat.records import NOLANG

# Sentences written for this test, the kind of thing people ask a chatbot, one per language.
SENTENCES = {
    "English": "Can you help me write a cover letter for a job as a nurse in a children's hospital?",
    "Chinese": "请帮我写一封求职信，我想申请一家儿童医院的护士职位，谢谢你。",
    "Japanese": "子供病院の看護師の仕事に応募するためのカバーレターを書くのを手伝ってください。",
    "Korean": "어린이 병원 간호사 일자리에 지원하기 위한 자기소개서를 쓰는 것을 도와주세요.",
    "Russian": "Помоги мне, пожалуйста, написать сопроводительное письмо для работы медсестрой в детской больнице.",
    "Ukrainian": "Допоможи мені, будь ласка, написати супровідний лист для роботи медсестрою в дитячій лікарні.",
    "French": "Peux-tu m'aider à écrire une lettre de motivation pour un poste d'infirmière dans un hôpital pour enfants ?",
    "Spanish": "¿Puedes ayudarme a escribir una carta de presentación para un trabajo de enfermera en un hospital infantil?",
    "Portuguese": "Você pode me ajudar a escrever uma carta de apresentação para uma vaga de enfermeira em um hospital infantil?",
    "German": "Kannst du mir helfen, ein Anschreiben für eine Stelle als Krankenschwester in einem Kinderkrankenhaus zu schreiben?",
    "Italian": "Puoi aiutarmi a scrivere una lettera di presentazione per un lavoro da infermiera in un ospedale pediatrico?",
    "Dutch": "Kun je me helpen een sollicitatiebrief te schrijven voor een baan als verpleegkundige in een kinderziekenhuis?",
    "Polish": "Czy możesz mi pomóc napisać list motywacyjny do pracy jako pielęgniarka w szpitalu dziecięcym?",
    "Turkish": "Bir çocuk hastanesinde hemşirelik işi için ön yazı yazmama yardım edebilir misin?",
    "Arabic": "هل يمكنك مساعدتي في كتابة رسالة تقديم لوظيفة ممرضة في مستشفى للأطفال؟",
    "Persian": "می‌توانی به من کمک کنی یک نامه درخواست کار برای شغل پرستاری در بیمارستان کودکان بنویسم؟",
    "Hindi": "क्या आप बच्चों के अस्पताल में नर्स की नौकरी के लिए आवेदन पत्र लिखने में मेरी मदद कर सकते हैं?",
    "Vietnamese": "Bạn có thể giúp tôi viết thư xin việc cho vị trí y tá tại một bệnh viện nhi không?",
    "Indonesian": (
        "Gimana cara menulis surat lamaran kerja yang bagus untuk posisi perawat di rumah sakit anak? "
        "Saya mau melamar minggu depan."
    ),
    "Greek": "Μπορείς να με βοηθήσεις να γράψω μια συνοδευτική επιστολή για μια θέση νοσηλεύτριας σε παιδιατρικό νοσοκομείο;",
    "Hebrew": "האם תוכל לעזור לי לכתוב מכתב מקדים למשרת אחות בבית חולים לילדים?",
    "Thai": "ช่วยเขียนจดหมายสมัครงานตำแหน่งพยาบาลที่โรงพยาบาลเด็กให้หน่อยได้ไหม",
    "Swedish": "Kan du hjälpa mig att skriva ett personligt brev för ett jobb som sjuksköterska på ett barnsjukhus?",
    "Tagalog": "Maaari mo ba akong tulungan na sumulat ng liham ng aplikasyon para sa trabaho bilang nars sa ospital ng mga bata?",
}


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    # Loading every model takes a while: one detector for the whole module, as one per worker process.
    return LanguageDetector()


@pytest.mark.slow
def test_detects_many_languages_in_one_batch(detector: LanguageDetector) -> None:
    names = list(SENTENCES)
    assert detector.detect([SENTENCES[n] for n in names]) == names


@pytest.mark.slow
def test_empty_whitespace_and_letterless_text_is_nolang(detector: LanguageDetector) -> None:
    texts = ["", "   \n\t", "12345 + 678 = 13023", SENTENCES["German"]]
    assert detector.detect(texts) == [NOLANG, NOLANG, NOLANG, "German"]
    assert detector.detect([]) == []


@pytest.mark.slow
def test_sequential_and_truncated_modes_agree_on_clear_text(detector: LanguageDetector) -> None:
    texts = [SENTENCES["Russian"] * 20, SENTENCES["Spanish"], ""]
    parallel = detector.detect(texts)
    detector.parallel, detector.max_chars = False, None
    try:
        assert detector.detect(texts) == parallel == ["Russian", "Spanish", NOLANG]
    finally:
        detector.parallel, detector.max_chars = True, 1000


@pytest.mark.slow
def test_long_text_is_labelled_by_its_beginning(detector: LanguageDetector) -> None:
    # Default max_chars=1000: a German opening longer than that decides, the English tail is not read.
    text = SENTENCES["German"] * 10 + " " + SENTENCES["English"] * 30
    assert len(SENTENCES["German"] * 10) > 1000
    assert detector.detect([text]) == ["German"]


def test_language_names_are_wildchats_spelling() -> None:
    from lingua import Language

    names = {language_name(lang) for lang in Language.all()}
    assert {"English", "Chinese", "Russian", "Bokmal", "Nynorsk", "Slovene", "Tagalog"} <= names
    assert all(n[0].isupper() and n[1:].islower() for n in names)
    assert language_name(None) == NOLANG


def test_conversation_language_is_the_most_frequent() -> None:
    assert conversation_language(["French", "English", "French"]) == "French"


def test_conversation_language_tie_goes_to_the_first_appearing() -> None:
    assert conversation_language(["Spanish", "English", "English", "Spanish"]) == "Spanish"
    assert conversation_language(["English", "Spanish"]) == "English"


def test_nolang_turns_do_not_outvote_languages() -> None:
    assert conversation_language([NOLANG, NOLANG, "Korean"]) == "Korean"
    assert conversation_language([NOLANG, NOLANG]) == NOLANG
    assert conversation_language([]) == NOLANG

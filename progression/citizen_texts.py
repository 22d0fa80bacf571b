"""The few interface strings of the citizen's public form, in every item language.

The staff catalogue (Django i18n) has only Danish and English, while the
citizen answers in one of ``progression.models.LANGUAGES``. The questions
themselves come from the questionnaire's items; only the page's own words
live here. The Arabic, Tigrinya, Somali and Dari/Farsi texts should be
checked by a translator before they go live.
"""

from __future__ import annotations

from progression.models import RTL_LANGUAGES

KEYS = (
    "title",
    "intro",
    "skip",
    "submit",
    "error_summary",
    "field_error",
    "empty_reply",
    "done_title",
    "done_text",
    "expired_title",
    "expired_text",
    "used_title",
    "used_text",
    "unknown_title",
    "unknown_text",
)

TEXTS: dict[str, dict[str, str]] = {
    "da": {
        "title": "Din egen vurdering",
        "intro": (
            "Svar på hvert spørgsmål med et tal fra 1 til 5. Du må gerne springe et spørgsmål over."
        ),
        "skip": "Vil ikke svare / spring over",
        "submit": "Send svar",
        "error_summary": "Noget er ikke udfyldt rigtigt. Se spørgsmålene markeret med rødt.",
        "field_error": "Vælg et tal fra 1 til 5, eller spring over.",
        "empty_reply": "Du har ikke svaret på noget spørgsmål. Svar på mindst ét, før du sender.",
        "done_title": "Tak for dine svar",
        "done_text": "Dine svar er sendt til din sagsbehandler. Du kan lukke siden nu.",
        "expired_title": "Linket er udløbet",
        "expired_text": "Bed din sagsbehandler om et nyt link.",
        "used_title": "Linket er allerede brugt",
        "used_text": "Dine svar er allerede modtaget. Et link kan kun bruges én gang.",
        "unknown_title": "Linket findes ikke",
        "unknown_text": "Tjek at du har hele linket, eller bed din sagsbehandler om et nyt link.",
    },
    "en": {
        "title": "Your own assessment",
        "intro": "Answer each question with a number from 1 to 5. You may skip any question.",
        "skip": "Don't want to answer / skip",
        "submit": "Send answers",
        "error_summary": "Something was not filled in correctly. See the questions marked in red.",
        "field_error": "Choose a number from 1 to 5, or skip.",
        "empty_reply": "You have not answered any question. Answer at least one before you send.",
        "done_title": "Thank you for your answers",
        "done_text": "Your answers have been sent to your caseworker. You can close this page now.",
        "expired_title": "The link has expired",
        "expired_text": "Ask your caseworker for a new link.",
        "used_title": "The link has already been used",
        "used_text": "Your answers have already been received. A link can only be used once.",
        "unknown_title": "The link does not exist",
        "unknown_text": "Check that you have the whole link, or ask your caseworker for a new one.",
    },
    "ar": {
        "title": "تقييمك الشخصي",
        "intro": "أجب عن كل سؤال برقم من 1 إلى 5. يمكنك تخطي أي سؤال.",
        "skip": "لا أريد الإجابة / تخطي",
        "submit": "إرسال الإجابات",
        "error_summary": "هناك خطأ في بعض الإجابات. انظر إلى الأسئلة المعلّمة باللون الأحمر.",
        "field_error": "اختر رقمًا من 1 إلى 5، أو تخطَّ السؤال.",
        "empty_reply": "لم تُجب عن أي سؤال. أجب عن سؤال واحد على الأقل قبل الإرسال.",
        "done_title": "شكرًا على إجاباتك",
        "done_text": "تم إرسال إجاباتك إلى الموظف المسؤول عن حالتك. يمكنك إغلاق هذه الصفحة الآن.",
        "expired_title": "انتهت صلاحية الرابط",
        "expired_text": "اطلب رابطًا جديدًا من الموظف المسؤول عن حالتك.",
        "used_title": "تم استخدام الرابط من قبل",
        "used_text": "لقد استلمنا إجاباتك بالفعل. يمكن استخدام الرابط مرة واحدة فقط.",
        "unknown_title": "الرابط غير موجود",
        "unknown_text": (
            "تأكد من أن لديك الرابط كاملًا، أو اطلب رابطًا جديدًا من الموظف المسؤول عن حالتك."
        ),
    },
    "ti": {
        "title": "ናይ ባዕልኻ ገምጋም",
        "intro": "ንነፍሲ ወከፍ ሕቶ ካብ 1 ክሳብ 5 ብዘሎ ቁጽሪ መልሲ ሃብ። ዝኾነ ሕቶ ክትሓልፎ ትኽእል ኢኻ።",
        "skip": "ክምልስ ኣይደልን / ሕለፍ",
        "submit": "መልስታት ስደድ",
        "error_summary": "ገለ ብግቡእ ዘይተመልአ ኣሎ። ብቀይሕ ዝተመልከቱ ሕቶታት ርአ።",
        "field_error": "ካብ 1 ክሳብ 5 ቁጽሪ ምረጽ፣ ወይ ሕለፍ።",
        "empty_reply": "ንዝኾነ ሕቶ ኣይመለስካን። ቅድሚ ምስዳድካ እንተወሓደ ሓደ ሕቶ መልስ።",
        "done_title": "ስለ መልስታትካ የቐንየልና",
        "done_text": "መልስታትካ ናብ ሰራሕተኛ ጉዳይካ ተላኢኹ ኣሎ። ሕጂ ነዚ ገጽ ክትዓጽዎ ትኽእል ኢኻ።",
        "expired_title": "ግዜ ናይዚ ሊንክ ኣኺሉ",
        "expired_text": "ካብ ሰራሕተኛ ጉዳይካ ሓድሽ ሊንክ ሕተት።",
        "used_title": "እዚ ሊንክ ድሮ ተሰሪሑሉ እዩ",
        "used_text": "መልስታትካ ድሮ በጺሑና እዩ። ሓደ ሊንክ ሓደ ግዜ ጥራይ ይሰርሕ።",
        "unknown_title": "እዚ ሊንክ የለን",
        "unknown_text": "ምሉእ ሊንክ ከም ዘለካ ኣረጋግጽ፣ ወይ ካብ ሰራሕተኛ ጉዳይካ ሓድሽ ሊንክ ሕተት።",
    },
    "so": {
        "title": "Qiimeyntaada gaarka ah",
        "intro": (
            "Su'aal kasta ku jawaab lambar u dhexeeya 1 ilaa 5. Waad ka boodi kartaa su'aal kasta."
        ),
        "skip": "Ma doonayo inaan ka jawaabo / ka bood",
        "submit": "Dir jawaabaha",
        "error_summary": (
            "Wax aan si sax ah loo buuxin ayaa jira. Eeg su'aalaha casaanka lagu calaamadeeyay."
        ),
        "field_error": "Dooro lambar u dhexeeya 1 ilaa 5, ama ka bood.",
        "empty_reply": (
            "Ma aadan ka jawaabin wax su'aal ah. Ka jawaab ugu yaraan hal su'aal intaadan dirin."
        ),
        "done_title": "Waad ku mahadsan tahay jawaabahaaga",
        "done_text": (
            "Jawaabahaaga waxaa loo diray shaqaalaha kiiskaaga. Hadda waad xiri kartaa boggan."
        ),
        "expired_title": "Muddada linkiga way dhammaatay",
        "expired_text": "Ka codso shaqaalaha kiiskaaga link cusub.",
        "used_title": "Linkiga horay ayaa loo isticmaalay",
        "used_text": (
            "Jawaabahaaga horay ayaa loo helay. Link kasta hal mar oo keliya ayaa la isticmaali "
            "karaa."
        ),
        "unknown_title": "Linkigan ma jiro",
        "unknown_text": (
            "Hubi inaad haysato linkiga oo dhan, ama ka codso shaqaalaha kiiskaaga link cusub."
        ),
    },
    "fa": {
        "title": "ارزیابی شخصی شما",
        "intro": "به هر سؤال با عددی از 1 تا 5 پاسخ دهید. می‌توانید از هر سؤالی بگذرید.",
        "skip": "نمی‌خواهم پاسخ دهم / رد شدن",
        "submit": "ارسال پاسخ‌ها",
        "error_summary": (
            "برخی پاسخ‌ها درست پر نشده‌اند. سؤال‌هایی را که با رنگ سرخ مشخص شده‌اند ببینید."
        ),
        "field_error": "عددی از 1 تا 5 را انتخاب کنید، یا از سؤال بگذرید.",
        "empty_reply": "به هیچ سؤالی پاسخ نداده‌اید. پیش از ارسال، دست‌کم به یک سؤال پاسخ دهید.",
        "done_title": "از پاسخ‌های شما سپاسگزاریم",
        "done_text": (
            "پاسخ‌های شما برای مددکار پرونده‌تان فرستاده شد. اکنون می‌توانید این صفحه را ببندید."
        ),
        "expired_title": "اعتبار این لینک تمام شده است",
        "expired_text": "از مددکار پرونده‌تان یک لینک جدید بخواهید.",
        "used_title": "این لینک قبلاً استفاده شده است",
        "used_text": "پاسخ‌های شما قبلاً دریافت شده است. هر لینک فقط یک بار قابل استفاده است.",
        "unknown_title": "این لینک وجود ندارد",
        "unknown_text": (
            "بررسی کنید که لینک را کامل دارید، یا از مددکار پرونده‌تان یک لینک جدید بخواهید."
        ),
    },
}

# When the link is unknown its language is too: the page speaks both staff languages.
FALLBACK_LANGUAGES = ("da", "en")


def texts_for(language: str) -> dict[str, str]:
    """The strings of one language, falling back to Danish for an unknown code."""
    return TEXTS.get(language) or TEXTS["da"]


def direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"

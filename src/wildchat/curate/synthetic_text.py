"""The text and people the synthetic log generator draws from: real sentences in 15 languages, etc.

Each language has a weight (roughly WildChat's mix), its browsers' ``accept-language``, sentences with a
``{t}`` topic and an ``{n}`` number slot, and topics in that language.
"""

from __future__ import annotations

# (language, weight, accept-language, sentences, topics): sentences take a {t} topic and a {n} number.
LANGUAGES: list[tuple[str, float, str, list[str], list[str]]] = [
    (
        "English",
        45,
        "en-US,en;q=0.9",
        [
            "Can you explain how {t} works in simple terms?",
            "I need {n} ideas for a blog post about {t}.",
            "Write a short story about {t} for my daughter.",
            "What are the main differences between {t} and its alternatives?",
            "Please summarize the history of {t} in {n} sentences.",
            "Here is a detailed answer about {t}, with examples you can try today.",
            "First, it helps to understand why {t} became popular in the first place.",
        ],
        [
            "machine learning",
            "the stock market",
            "climate change",
            "Python decorators",
            "the Roman empire",
            "sourdough bread",
        ],
    ),
    (
        "Chinese",
        15,
        "zh-CN,zh;q=0.9",
        [
            "请用简单的语言解释一下{t}是如何运作的。",
            "帮我写{n}个关于{t}的标题。",
            "我想了解{t}的历史，请详细介绍。",
            "关于{t}，以下是几个要点，希望对你有帮助。",
            "首先，我们需要明确{t}的基本概念。",
        ],
        ["人工智能", "量子计算", "中国历史", "健康饮食", "股票投资"],
    ),
    (
        "Russian",
        8,
        "ru-RU,ru;q=0.9",
        [
            "Объясни, пожалуйста, как работает {t}.",
            "Напиши {n} идей для статьи про {t}.",
            "Какие плюсы и минусы у темы {t}?",
            "Вот подробный ответ о теме {t} с примерами.",
        ],
        ["нейросети", "экономика", "литература", "программирование"],
    ),
    (
        "Spanish",
        5,
        "es-ES,es;q=0.9",
        [
            "¿Puedes explicarme cómo funciona {t}?",
            "Necesito {n} ideas para un ensayo sobre {t}.",
            "Aquí tienes un resumen claro sobre {t} con ejemplos.",
        ],
        ["la economía", "el cambio climático", "la historia de España", "la programación"],
    ),
    (
        "French",
        4,
        "fr-FR,fr;q=0.9",
        [
            "Peux-tu m'expliquer comment fonctionne {t} ?",
            "Donne-moi {n} idées de sujets sur {t}.",
            "Voici une explication détaillée sur {t}, avec des exemples concrets.",
        ],
        ["la photosynthèse", "la révolution française", "l'intelligence artificielle", "la cuisine"],
    ),
    (
        "German",
        3,
        "de-DE,de;q=0.9",
        [
            "Kannst du mir erklären, wie {t} funktioniert?",
            "Schreibe mir {n} Vorschläge zum Thema {t}.",
            "Hier ist eine ausführliche Erklärung zu {t} mit Beispielen.",
        ],
        ["Quantenphysik", "die deutsche Geschichte", "Softwareentwicklung", "Ernährung"],
    ),
    (
        "Portuguese",
        3,
        "pt-BR,pt;q=0.9",
        [
            "Você pode me explicar como funciona {t}?",
            "Preciso de {n} ideias para um trabalho sobre {t}.",
            "Aqui está uma explicação completa sobre {t}.",
        ],
        ["a economia brasileira", "inteligência artificial", "futebol"],
    ),
    (
        "Japanese",
        3,
        "ja-JP,ja;q=0.9",
        [
            "{t}について簡単に説明してください。",
            "{t}に関するアイデアを{n}つ教えてください。",
            "{t}について詳しく説明します。",
        ],
        ["機械学習", "日本の歴史", "料理"],
    ),
    (
        "Arabic",
        3,
        "ar-SA,ar;q=0.9",
        [
            "هل يمكنك أن تشرح لي كيف يعمل {t}؟",
            "أحتاج إلى {n} أفكار لمقال عن {t}.",
            "إليك شرحا مفصلا عن {t} مع أمثلة.",
        ],
        ["الذكاء الاصطناعي", "التاريخ الإسلامي", "الاقتصاد"],
    ),
    (
        "Korean",
        2,
        "ko-KR,ko;q=0.9",
        [
            "{t}에 대해 쉽게 설명해 주세요.",
            "{t}에 관한 아이디어 {n}개를 알려주세요.",
        ],
        ["인공지능", "한국 역사", "요리"],
    ),
    (
        "Italian",
        2,
        "it-IT,it;q=0.9",
        [
            "Puoi spiegarmi come funziona {t}?",
            "Ecco una spiegazione dettagliata su {t}.",
        ],
        ["la cucina italiana", "il Rinascimento", "la fisica"],
    ),
    (
        "Turkish",
        2,
        "tr-TR,tr;q=0.9",
        [
            "Bana {t} nasıl çalışır açıklar mısın?",
            "{t} hakkında {n} fikir yazar mısın?",
        ],
        ["yapay zeka", "Osmanlı tarihi", "ekonomi"],
    ),
    (
        "Vietnamese",
        2,
        "vi-VN,vi;q=0.9",
        [
            "Bạn có thể giải thích {t} hoạt động như thế nào không?",
            "Hãy viết {n} ý tưởng về {t}.",
        ],
        ["trí tuệ nhân tạo", "lịch sử Việt Nam", "kinh tế"],
    ),
    (
        "Polish",
        1,
        "pl-PL,pl;q=0.9",
        [
            "Czy możesz mi wyjaśnić, jak działa {t}?",
            "Oto szczegółowe wyjaśnienie dotyczące {t}.",
        ],
        ["sztuczna inteligencja", "historia Polski"],
    ),
    (
        "Indonesian",
        2,
        "id-ID,id;q=0.9",
        [
            "Bisakah kamu menjelaskan bagaimana {t} bekerja?",
            "Berikut penjelasan lengkap tentang {t}.",
        ],
        ["kecerdasan buatan", "sejarah Indonesia", "ekonomi"],
    ),
]
COMMON_PROMPTS = [
    "hi",
    "hello",
    "Write a poem about the sea.",
    "你好",
    "привет",
    "What is the meaning of life?",
]
TOXIC = [
    "You are a stupid useless idiot, shut up.",
    "This is fucking garbage, you dumb piece of shit.",
    "I hate you, you worthless moron.",
]
SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "You are a pirate. Answer like one.",
    "Answer in one sentence.",
]
COUNTRIES = [
    ("United States", ["California", "Texas", "New York", "Washington"]),
    ("China", ["Beijing", "Shanghai", "Guangdong"]),
    ("Russia", ["Moscow", "Saint Petersburg"]),
    ("Germany", ["Bavaria", "Berlin"]),
    ("France", ["Île-de-France", "Provence-Alpes-Côte d'Azur"]),
    ("Brazil", ["São Paulo", "Rio de Janeiro"]),
    ("India", ["Maharashtra", "Karnataka"]),
    ("Japan", ["Tokyo"]),
    ("United Kingdom", ["England", "Scotland"]),
    ("Egypt", ["Cairo Governorate"]),
]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "python-requests/2.31.0",
    "OpenAI/Python 1.40.0",
]
MODELS = ["gpt-4o-mini", "smollm2-135m-instruct", "gpt-4o"]
FIRST_NAMES = ["John", "Maria", "Wei", "Olga", "Ahmed", "Yuki", "Lucas", "Fatima"]
LAST_NAMES = ["Smith", "Garcia", "Zhang", "Ivanova", "Hassan", "Tanaka", "Silva", "Müller"]

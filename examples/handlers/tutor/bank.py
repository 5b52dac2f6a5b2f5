"""A small built-in bank of Spanish practice sentences, by topic and CEFR level.

Each item is a sentence with one blank (`___`), the word(s) that fill it, an English translation,
the rule it practises and wrong answers learners often give (the multiple-choice distractors).
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")


@dataclass(frozen=True, slots=True)
class Item:
    level: str
    sentence: str  # with one "___", optionally followed by a hint in parentheses
    answer: str
    english: str
    rule: str
    distractors: tuple[str, ...]


BANK: dict[str, tuple[Item, ...]] = {
    "subjuntivo": (
        Item(
            "A2",
            "Ojalá ___ (hacer) sol mañana.",
            "haga",
            "Hopefully it will be sunny tomorrow.",
            "ojalá + presente de subjuntivo",
            ("hace", "hará", "hizo"),
        ),
        Item(
            "B1",
            "Espero que tú ___ (venir) a la fiesta.",
            "vengas",
            "I hope you come to the party.",
            "esperar que + presente de subjuntivo",
            ("vienes", "vendrás", "viniste"),
        ),
        Item(
            "B1",
            "Es importante que nosotros ___ (llegar) temprano.",
            "lleguemos",
            "It is important that we arrive early.",
            "expresión de valoración + que + subjuntivo",
            ("llegamos", "llegaremos", "llegábamos"),
        ),
        Item(
            "B1",
            "No creo que ella ___ (tener) razón.",
            "tenga",
            "I don't think she is right.",
            "no creer que (duda) + subjuntivo",
            ("tiene", "tendrá", "tuvo"),
        ),
        Item(
            "B1",
            "Quiero que mis padres ___ (conocer) a mi novia.",
            "conozcan",
            "I want my parents to meet my girlfriend.",
            "querer que + subjuntivo (sujetos distintos)",
            ("conocen", "conocerán", "conocieron"),
        ),
        Item(
            "B2",
            "Cuando ___ (terminar, yo) el curso, viajaré a México.",
            "termine",
            "When I finish the course, I will travel to Mexico.",
            "cuando + subjuntivo para el futuro",
            ("termino", "terminaré", "terminé"),
        ),
        Item(
            "B2",
            "Busco un piso que ___ (tener) terraza.",
            "tenga",
            "I'm looking for a flat that has a terrace.",
            "antecedente desconocido + subjuntivo",
            ("tiene", "tendrá", "tenía"),
        ),
        Item(
            "C1",
            "Si ___ (saber, yo) la verdad, te la diría.",
            "supiera",
            "If I knew the truth, I would tell you.",
            "si + imperfecto de subjuntivo + condicional",
            ("sabía", "sabría", "sepa"),
        ),
    ),
    "ser_estar": (
        Item(
            "A1",
            "Mi hermana ___ médica.",
            "es",
            "My sister is a doctor.",
            "ser: profesión",
            ("está", "son", "estoy"),
        ),
        Item(
            "A1",
            "Nosotros ___ en la biblioteca.",
            "estamos",
            "We are in the library.",
            "estar: ubicación",
            ("somos", "son", "están"),
        ),
        Item(
            "A2",
            "La sopa ___ fría; hay que calentarla.",
            "está",
            "The soup is cold; it needs heating up.",
            "estar: estado temporal",
            ("es", "son", "estás"),
        ),
        Item(
            "A2",
            "La reunión ___ en la sala 3.",
            "es",
            "The meeting is in room 3.",
            "ser: lugar de un evento",
            ("está", "están", "son"),
        ),
        Item(
            "B1",
            "Este chico ___ muy listo: siempre saca buenas notas.",
            "es",
            "This boy is very clever: he always gets good marks.",
            "ser listo = inteligente; estar listo = preparado",
            ("está", "estás", "son"),
        ),
        Item(
            "B1",
            "¿___ (vosotros) listos para salir?",
            "Estáis",
            "Are you ready to leave?",
            "estar listo = preparado",
            ("Sois", "Son", "Están"),
        ),
    ),
    "preterito_imperfecto": (
        Item(
            "A2",
            "Ayer ___ (ir, yo) al cine.",
            "fui",
            "Yesterday I went to the cinema.",
            "pretérito indefinido: acción terminada (ayer)",
            ("iba", "voy", "iré"),
        ),
        Item(
            "A2",
            "De niño, ___ (jugar, yo) al fútbol todos los días.",
            "jugaba",
            "As a child, I played football every day.",
            "imperfecto: hábito en el pasado",
            ("jugué", "juego", "jugaré"),
        ),
        Item(
            "A2",
            "La semana pasada ___ (comprar, tú) un coche nuevo.",
            "compraste",
            "Last week you bought a new car.",
            "pretérito indefinido: acción terminada",
            ("comprabas", "compras", "comprarás"),
        ),
        Item(
            "B1",
            "Mientras ___ (cocinar, ella), sonó el teléfono.",
            "cocinaba",
            "While she was cooking, the phone rang.",
            "imperfecto: acción en curso interrumpida",
            ("cocinó", "cocina", "cocinará"),
        ),
        Item(
            "B1",
            "En 2019 ___ (mudarse, nosotros) a Sevilla.",
            "nos mudamos",
            "In 2019 we moved to Seville.",
            "pretérito indefinido: hecho puntual",
            ("nos mudábamos", "nos mudaremos", "nos mudemos"),
        ),
        Item(
            "B2",
            "___ (ser) las diez cuando llegaron los invitados.",
            "Eran",
            "It was ten o'clock when the guests arrived.",
            "imperfecto: la hora en el pasado",
            ("Fueron", "Son", "Serán"),
        ),
    ),
    "por_para": (
        Item(
            "A2", "Este regalo es ___ ti.", "para", "This present is for you.", "para: destinatario", ("por",)
        ),
        Item(
            "A2",
            "Gracias ___ tu ayuda.",
            "por",
            "Thanks for your help.",
            "por: causa, agradecimiento",
            ("para",),
        ),
        Item(
            "B1",
            "Paseamos ___ el parque.",
            "por",
            "We walked through the park.",
            "por: a través de",
            ("para",),
        ),
        Item(
            "B1",
            "Estudio ___ aprobar el examen.",
            "para",
            "I study to pass the exam.",
            "para + infinitivo: finalidad",
            ("por",),
        ),
        Item(
            "B1",
            "Te llamo ___ teléfono esta noche.",
            "por",
            "I'll call you by phone tonight.",
            "por: medio",
            ("para",),
        ),
        Item(
            "B2",
            "___ ser extranjero, hablas muy bien.",
            "Para",
            "For a foreigner, you speak very well.",
            "para: comparación con lo esperado",
            ("Por",),
        ),
    ),
    "vocabulario": (
        Item(
            "A1",
            "Para desayunar tomo un café con ___ (bread).",
            "pan",
            "For breakfast I have a coffee with bread.",
            "vocabulario: comida",
            ("pez", "paz", "pon"),
        ),
        Item(
            "A1",
            "Necesito comprar un ___ (ticket) de tren.",
            "billete",
            "I need to buy a train ticket.",
            "vocabulario: viajes",
            ("billetera", "andén", "asiento"),
        ),
        Item(
            "A2",
            "¿Dónde está mi ___ (suitcase)?",
            "maleta",
            "Where is my suitcase?",
            "vocabulario: viajes",
            ("mochila", "almohada", "manta"),
        ),
        Item(
            "A2",
            "La ___ (bill), por favor.",
            "cuenta",
            "The bill, please.",
            "vocabulario: restaurante",
            ("cuento", "cuesta", "carta"),
        ),
        Item(
            "B1",
            "El vuelo tiene un ___ (delay) de dos horas.",
            "retraso",
            "The flight has a two-hour delay.",
            "vocabulario: viajes",
            ("retrato", "rastro", "regreso"),
        ),
        Item(
            "B1",
            "Me alojo en un ___ (guesthouse) cerca de la playa.",
            "hostal",
            "I'm staying in a guesthouse near the beach.",
            "vocabulario: alojamiento",
            ("hospital", "huésped", "hogar"),
        ),
    ),
}

ALIASES: dict[str, str] = {
    "subjunctive": "subjuntivo",
    "presente de subjuntivo": "subjuntivo",
    "ser y estar": "ser_estar",
    "ser vs estar": "ser_estar",
    "ser estar": "ser_estar",
    "preterito": "preterito_imperfecto",
    "imperfecto": "preterito_imperfecto",
    "preterite": "preterito_imperfecto",
    "past tenses": "preterito_imperfecto",
    "preterito imperfecto": "preterito_imperfecto",
    "por y para": "por_para",
    "por vs para": "por_para",
    "por para": "por_para",
    "vocabulary": "vocabulario",
    "vocab": "vocabulario",
    "comida": "vocabulario",
    "viajes": "vocabulario",
}

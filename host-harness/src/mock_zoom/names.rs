//! Name tables for the organisation generator: several cultures, native spellings with the ASCII
//! forms an identity provider would put in an email address, and the time zone and language
//! that go with them.
//!
//! Every name here is a common given name or surname; no row describes a real person.

/// One naming culture. Given names are `female` followed by `male` (one index space); when
/// `last_female` is not empty it is parallel to `last` and used for women (Смирнова,
/// Kowalska).
pub(crate) struct Culture {
    pub female: &'static [(&'static str, &'static str)],
    pub male: &'static [(&'static str, &'static str)],
    pub last: &'static [(&'static str, &'static str)],
    pub last_female: &'static [(&'static str, &'static str)],
    /// Display names put the family name first ("渡辺 健").
    pub family_first: bool,
    /// Between the two names in a display name ("" for Chinese: "王伟").
    pub separator: &'static str,
    /// The native spelling is Latin script, so it can appear unfolded in an email address.
    pub latin: bool,
    pub language: &'static str,
    pub timezones: &'static [&'static str],
    /// Relative share of the workforce.
    pub weight: u32,
}

impl Culture {
    pub fn given_count(&self) -> usize {
        self.female.len() + self.male.len()
    }

    /// `(native, ascii)` of a given name index.
    pub fn given(&self, index: u16) -> (&'static str, &'static str) {
        let index = usize::from(index);
        match self.female.get(index) {
            Some(name) => *name,
            None => self.male[(index - self.female.len()) % self.male.len()],
        }
    }

    /// `(native, ascii)` of a family name index, in the form that agrees with the given name.
    pub fn family(&self, index: u16, given: u16) -> (&'static str, &'static str) {
        let index = usize::from(index) % self.last.len();
        let female = usize::from(given) < self.female.len();
        if female && !self.last_female.is_empty() {
            self.last_female[index]
        } else {
            self.last[index]
        }
    }
}

pub(crate) const CULTURES: &[Culture] = &[
    Culture {
        female: &[
            ("Emma", "emma"),
            ("Olivia", "olivia"),
            ("Hannah", "hannah"),
            ("Grace", "grace"),
            ("Megan", "megan"),
            ("Abigail", "abigail"),
            ("Chloe", "chloe"),
            ("Siobhán", "siobhan"),
            ("Jill", "jill"),
        ],
        male: &[
            ("James", "james"),
            ("Michael", "michael"),
            ("Liam", "liam"),
            ("Noah", "noah"),
            ("Ethan", "ethan"),
            ("Owen", "owen"),
            ("Connor", "connor"),
            ("Oliver", "oliver"),
        ],
        last: &[
            ("Smith", "smith"),
            ("Johnson", "johnson"),
            ("O'Brien", "obrien"),
            ("Williams", "williams"),
            ("Brown", "brown"),
            ("Miller", "miller"),
            ("Davis", "davis"),
            ("Taylor", "taylor"),
            ("Clarke", "clarke"),
            ("Walsh", "walsh"),
            ("Chill", "chill"),
        ],
        last_female: &[],
        family_first: false,
        separator: " ",
        latin: true,
        language: "en-US",
        timezones: &[
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Los_Angeles",
            "Europe/London",
        ],
        weight: 30,
    },
    Culture {
        female: &[
            ("Léa", "lea"),
            ("Chloé", "chloe"),
            ("Hélène", "helene"),
            ("Amélie", "amelie"),
            ("Margaux", "margaux"),
            ("Inès", "ines"),
        ],
        male: &[
            ("Théo", "theo"),
            ("François", "francois"),
            ("Jérôme", "jerome"),
            ("Raphaël", "raphael"),
            ("Noé", "noe"),
            ("Hugo", "hugo"),
        ],
        last: &[
            ("Dubois", "dubois"),
            ("Lefèvre", "lefevre"),
            ("Girard", "girard"),
            ("Moreau", "moreau"),
            ("Rousseau", "rousseau"),
            ("Mercier", "mercier"),
            ("Bélanger", "belanger"),
            ("Faure", "faure"),
        ],
        last_female: &[],
        family_first: false,
        separator: " ",
        latin: true,
        language: "fr-FR",
        timezones: &["Europe/Paris", "America/Montreal"],
        weight: 7,
    },
    Culture {
        female: &[
            ("Mette", "mette"),
            ("Åsa", "asa"),
            ("Freja", "freja"),
            ("Ingrid", "ingrid"),
            ("Sigrid", "sigrid"),
        ],
        male: &[
            ("Søren", "soren"),
            ("Björn", "bjorn"),
            ("Mads", "mads"),
            ("Nikolaj", "nikolaj"),
            ("Jens", "jens"),
        ],
        last: &[
            ("Jørgensen", "jorgensen"),
            ("Nielsen", "nielsen"),
            ("Ødegaard", "odegaard"),
            ("Lindqvist", "lindqvist"),
            ("Sørensen", "sorensen"),
            ("Håkansson", "hakansson"),
            ("Berg", "berg"),
        ],
        last_female: &[],
        family_first: false,
        separator: " ",
        latin: true,
        language: "en-US",
        timezones: &["Europe/Copenhagen", "Europe/Stockholm", "Europe/Oslo"],
        weight: 5,
    },
    Culture {
        female: &[
            ("María", "maria"),
            ("Lucía", "lucia"),
            ("Sofía", "sofia"),
            ("Carmen", "carmen"),
            ("Begoña", "begona"),
        ],
        male: &[
            ("José", "jose"),
            ("Iñigo", "inigo"),
            ("Álvaro", "alvaro"),
            ("Javier", "javier"),
            ("Andrés", "andres"),
        ],
        last: &[
            ("García", "garcia"),
            ("Muñoz", "munoz"),
            ("Peña", "pena"),
            ("Fernández", "fernandez"),
            ("López", "lopez"),
            ("Martín", "martin"),
            ("Ortega", "ortega"),
            ("Núñez", "nunez"),
        ],
        last_female: &[],
        family_first: false,
        separator: " ",
        latin: true,
        language: "es-ES",
        timezones: &["Europe/Madrid", "America/Mexico_City", "America/Bogota"],
        weight: 8,
    },
    Culture {
        female: &[
            ("Lena", "lena"),
            ("Anja", "anja"),
            ("Katrin", "katrin"),
            ("Greta", "greta"),
            ("Zoë", "zoe"),
        ],
        male: &[
            ("Jürgen", "juergen"),
            ("Jörg", "joerg"),
            ("Lukas", "lukas"),
            ("Maximilian", "maximilian"),
            ("Florian", "florian"),
        ],
        last: &[
            ("Müller", "mueller"),
            ("Schröder", "schroeder"),
            ("Weiß", "weiss"),
            ("Becker", "becker"),
            ("Hoffmann", "hoffmann"),
            ("Schäfer", "schaefer"),
            ("Krüger", "krueger"),
            ("Wagner", "wagner"),
        ],
        last_female: &[],
        family_first: false,
        separator: " ",
        latin: true,
        language: "de-DE",
        timezones: &["Europe/Berlin", "Europe/Vienna", "Europe/Zurich"],
        weight: 8,
    },
    Culture {
        female: &[
            ("陽子", "yoko"),
            ("花子", "hanako"),
            ("美咲", "misaki"),
            ("由美", "yumi"),
        ],
        male: &[
            ("健", "ken"),
            ("大輔", "daisuke"),
            ("翔太", "shota"),
            ("拓也", "takuya"),
        ],
        last: &[
            ("渡辺", "watanabe"),
            ("佐藤", "sato"),
            ("鈴木", "suzuki"),
            ("高橋", "takahashi"),
            ("田中", "tanaka"),
            ("伊藤", "ito"),
            ("山本", "yamamoto"),
        ],
        last_female: &[],
        family_first: true,
        separator: " ",
        latin: false,
        language: "jp-JP",
        timezones: &["Asia/Tokyo"],
        weight: 6,
    },
    Culture {
        female: &[("静", "jing"), ("芳", "fang"), ("婷", "ting"), ("丽", "li")],
        male: &[("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun")],
        last: &[
            ("王", "wang"),
            ("李", "li"),
            ("张", "zhang"),
            ("刘", "liu"),
            ("陈", "chen"),
            ("杨", "yang"),
            ("黄", "huang"),
        ],
        last_female: &[],
        family_first: true,
        separator: "",
        latin: false,
        language: "zh-CN",
        timezones: &["Asia/Shanghai", "Asia/Singapore"],
        weight: 7,
    },
    Culture {
        female: &[
            ("Анна", "anna"),
            ("Ольга", "olga"),
            ("Екатерина", "ekaterina"),
            ("Наталья", "natalya"),
        ],
        male: &[
            ("Дмитрий", "dmitry"),
            ("Сергей", "sergey"),
            ("Алексей", "alexey"),
            ("Иван", "ivan"),
        ],
        last: &[
            ("Смирнов", "smirnov"),
            ("Иванов", "ivanov"),
            ("Кузнецов", "kuznetsov"),
            ("Попов", "popov"),
            ("Соколов", "sokolov"),
            ("Волков", "volkov"),
        ],
        last_female: &[
            ("Смирнова", "smirnova"),
            ("Иванова", "ivanova"),
            ("Кузнецова", "kuznetsova"),
            ("Попова", "popova"),
            ("Соколова", "sokolova"),
            ("Волкова", "volkova"),
        ],
        family_first: false,
        separator: " ",
        latin: false,
        language: "ru-RU",
        timezones: &["Europe/Moscow", "Asia/Yekaterinburg"],
        weight: 4,
    },
    Culture {
        female: &[
            ("Małgorzata", "malgorzata"),
            ("Agnieszka", "agnieszka"),
            ("Zofia", "zofia"),
        ],
        male: &[
            ("Łukasz", "lukasz"),
            ("Paweł", "pawel"),
            ("Michał", "michal"),
        ],
        last: &[
            ("Kowalski", "kowalski"),
            ("Wiśniewski", "wisniewski"),
            ("Wójcik", "wojcik"),
            ("Zieliński", "zielinski"),
        ],
        last_female: &[
            ("Kowalska", "kowalska"),
            ("Wiśniewska", "wisniewska"),
            ("Wójcik", "wojcik"),
            ("Zielińska", "zielinska"),
        ],
        family_first: false,
        separator: " ",
        latin: true,
        language: "pl-PL",
        timezones: &["Europe/Warsaw"],
        weight: 4,
    },
    Culture {
        female: &[
            ("Layla", "layla"),
            ("Fatima", "fatima"),
            ("Noor", "noor"),
            ("Yasmin", "yasmin"),
        ],
        male: &[
            ("Omar", "omar"),
            ("Youssef", "youssef"),
            ("Karim", "karim"),
            ("Tariq", "tariq"),
        ],
        last: &[
            ("Haddad", "haddad"),
            ("Khoury", "khoury"),
            ("Nasser", "nasser"),
            ("Mansour", "mansour"),
            ("Saleh", "saleh"),
        ],
        last_female: &[],
        family_first: false,
        separator: " ",
        latin: true,
        language: "en-US",
        timezones: &["Asia/Dubai", "Africa/Cairo", "Asia/Riyadh"],
        weight: 5,
    },
    Culture {
        female: &[
            ("Priya", "priya"),
            ("Ananya", "ananya"),
            ("Divya", "divya"),
            ("Kavya", "kavya"),
        ],
        male: &[
            ("Arjun", "arjun"),
            ("Rahul", "rahul"),
            ("Vikram", "vikram"),
            ("Rohan", "rohan"),
        ],
        last: &[
            ("Sharma", "sharma"),
            ("Patel", "patel"),
            ("Iyer", "iyer"),
            ("Reddy", "reddy"),
            ("Gupta", "gupta"),
            ("Nair", "nair"),
        ],
        last_female: &[],
        family_first: false,
        separator: " ",
        latin: true,
        language: "en-US",
        timezones: &["Asia/Kolkata"],
        weight: 10,
    },
    Culture {
        female: &[("Zoë", "zoe"), ("Sanne", "sanne"), ("Femke", "femke")],
        male: &[("Daan", "daan"), ("Sem", "sem"), ("Bram", "bram")],
        last: &[
            ("de Vries", "devries"),
            ("van Dijk", "vandijk"),
            ("Jansen", "jansen"),
            ("Bakker", "bakker"),
            ("Visser", "visser"),
        ],
        last_female: &[],
        family_first: false,
        separator: " ",
        latin: true,
        language: "en-US",
        timezones: &["Europe/Amsterdam", "Europe/Brussels"],
        weight: 4,
    },
    Culture {
        female: &[("서연", "seoyeon"), ("지민", "jimin"), ("수빈", "subin")],
        male: &[("민준", "minjun"), ("도윤", "doyoon"), ("현우", "hyunwoo")],
        last: &[("김", "kim"), ("이", "lee"), ("박", "park"), ("최", "choi")],
        last_female: &[],
        family_first: true,
        separator: " ",
        latin: false,
        language: "ko-KO",
        timezones: &["Asia/Seoul"],
        weight: 4,
    },
];

/// Meeting rooms and shared devices: accounts that belong to no member of staff.
pub(crate) const ROOMS: &[(&str, &str)] = &[
    ("Lobby", "lobby"),
    ("Boardroom", "boardroom"),
    ("Training", "training"),
    ("Reception", "reception"),
    ("Huddle", "huddle"),
    ("Studio", "studio"),
    ("Town Hall", "townhall"),
];

/// Departments and their relative sizes.
pub(crate) const DEPARTMENTS: &[(&str, u32)] = &[
    ("Engineering", 24),
    ("Sales", 16),
    ("Support", 12),
    ("Marketing", 8),
    ("Product", 7),
    ("Operations", 7),
    ("Finance", 6),
    ("Human Resources", 4),
    ("IT", 4),
    ("Design", 4),
    ("Legal", 2),
    ("Developers", 2),
    ("Executive", 1),
];

pub(crate) const CLIENT_VERSIONS: &[&str] = &[
    "6.2.11.56212(mac)",
    "6.3.0.52884(win)",
    "6.2.5.55987(android)",
    "6.1.10.50220(iphone)",
    "5.17.11.34827(win)",
    "6.3.1.53147(linux)",
];

/// Picks an index by weight; `roll` is uniform in `0..total_weight(weights)`.
pub(crate) fn weighted_index<T>(items: &[T], weight: impl Fn(&T) -> u32, roll: u32) -> usize {
    let mut left = roll;
    for (i, item) in items.iter().enumerate() {
        let w = weight(item);
        if left < w {
            return i;
        }
        left -= w;
    }
    items.len().saturating_sub(1)
}

pub(crate) fn total_weight<T>(items: &[T], weight: impl Fn(&T) -> u32) -> u32 {
    items.iter().map(weight).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_forms_are_plain_lower_case_letters() {
        for culture in CULTURES {
            assert!(!culture.female.is_empty() && !culture.male.is_empty());
            assert!(
                culture.last_female.is_empty() || culture.last_female.len() == culture.last.len()
            );
            let all = culture
                .female
                .iter()
                .chain(culture.male)
                .chain(culture.last);
            for (native, ascii) in all.chain(culture.last_female) {
                assert!(!native.is_empty());
                assert!(ascii.bytes().all(|b| b.is_ascii_lowercase()), "{ascii}");
            }
        }
        for (_, slug) in ROOMS {
            assert!(slug.bytes().all(|b| b.is_ascii_lowercase()));
        }
    }
}

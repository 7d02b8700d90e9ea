//! Who lives in the demo world: the customer tenants with their Bundesland and their hosts, the
//! MSP's agents and the customers' contact persons, plus the name parts the bulk generator
//! combines into ~240 more tenants. Pure data, no logic beyond small lookups.

/// What a machine is; decides which alerts and backup jobs fit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Active Directory domain controller.
    Dc,
    File,
    Sql,
    /// Remote desktop (terminal) server.
    Rds,
    Mail,
    /// Line-of-business application (ERP, DMS, DATEV, practice software, ...).
    App,
    /// VMware ESXi hypervisor.
    Esx,
    Firewall,
    Switch,
    /// Storage appliance holding the backup repository.
    Nas,
    /// Uninterruptible power supply.
    Ups,
}

impl Role {
    /// Windows or Linux servers (as opposed to appliances).
    pub const SERVERS: &'static [Role] = &[
        Role::Dc,
        Role::File,
        Role::Sql,
        Role::Rds,
        Role::Mail,
        Role::App,
    ];

    /// Appliances are named without the tenant's AD domain (`fw-01`, `nas-backup`).
    pub fn is_appliance(self) -> bool {
        matches!(
            self,
            Role::Firewall | Role::Switch | Role::Nas | Role::Ups | Role::Esx
        )
    }

    /// The monitoring job that scrapes such a host (Prometheus `job` label).
    pub fn monitoring_job(self) -> &'static str {
        match self {
            Role::Dc | Role::File | Role::Sql | Role::Rds | Role::Mail => "windows",
            Role::App => "node",
            Role::Esx => "vmware",
            Role::Firewall | Role::Switch | Role::Nas | Role::Ups => "snmp",
        }
    }

    /// The exporter port that goes into the `instance` label.
    pub fn exporter_port(self) -> u16 {
        match self.monitoring_job() {
            "windows" => 9182,
            "node" => 9100,
            "vmware" => 9272,
            _ => 161,
        }
    }
}

/// One machine of a tenant as written in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostDef {
    /// Short host name (`srv-dc01`, `fw-01`).
    pub name: &'static str,
    pub role: Role,
}

/// One customer of the demo MSP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoTenant {
    /// Short id used as [`crate::model::TenantId`] and in source ids (`mon-<id>`).
    pub id: &'static str,
    /// Company name as the customer writes it.
    pub name: &'static str,
    /// Bundesland (ISO 3166-2:DE suffix: `BW`, `BY`, `NW`, ...); picks the public holidays.
    pub state: &'static str,
    /// First three octets of the tenant's private network; hosts get `.10`, `.11`, ...
    pub network: &'static str,
    pub hosts: &'static [HostDef],
}

const fn h(name: &'static str, role: Role) -> HostDef {
    HostDef { name, role }
}

/// The tenants of the demo world: German Mittelstand customers, one in every Bundesland.
pub const TENANTS: &[DemoTenant] = &[
    DemoTenant {
        id: "mueller",
        name: "Müller Maschinenbau GmbH",
        state: "BW",
        network: "10.10.0",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-dc02", Role::Dc),
            h("srv-file01", Role::File),
            h("sql-02", Role::Sql),
            h("srv-erp01", Role::App),
            h("rds-01", Role::Rds),
            h("esx-01", Role::Esx),
            h("esx-02", Role::Esx),
            h("esx-03", Role::Esx),
            h("fw-01", Role::Firewall),
            h("sw-core01", Role::Switch),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "bauer",
        name: "Steuerkanzlei Bauer & Partner",
        state: "BY",
        network: "192.168.10",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-datev01", Role::App),
            h("rds-01", Role::Rds),
            h("rds-02", Role::Rds),
            h("esx-01", Role::Esx),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "koenig",
        name: "Autohaus König KG",
        state: "NW",
        network: "10.20.0",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-dms01", Role::App),
            h("sql-01", Role::Sql),
            h("esx-01", Role::Esx),
            h("esx-02", Role::Esx),
            h("fw-01", Role::Firewall),
            h("sw-werkstatt", Role::Switch),
            h("nas-backup", Role::Nas),
            h("usv-01", Role::Ups),
        ],
    },
    DemoTenant {
        id: "schneider",
        name: "Praxis Dr. Schneider",
        state: "HE",
        network: "192.168.178",
        hosts: &[
            h("srv-praxis01", Role::App),
            h("fw-01", Role::Firewall),
            h("sw-01", Role::Switch),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "swn",
        name: "Stadtwerke Neustadt GmbH",
        state: "RP",
        network: "10.30.0",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-dc02", Role::Dc),
            h("sql-01", Role::Sql),
            h("sql-02", Role::Sql),
            h("srv-scada-gw", Role::App),
            h("rds-01", Role::Rds),
            h("srv-exch01", Role::Mail),
            h("esx-01", Role::Esx),
            h("esx-02", Role::Esx),
            h("esx-03", Role::Esx),
            h("fw-01", Role::Firewall),
            h("fw-02", Role::Firewall),
        ],
    },
    DemoTenant {
        id: "hansa",
        name: "Hansa Logistik GmbH & Co. KG",
        state: "HH",
        network: "10.40.0",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-wms01", Role::App),
            h("sql-01", Role::Sql),
            h("rds-01", Role::Rds),
            h("esx-01", Role::Esx),
            h("esx-02", Role::Esx),
            h("fw-01", Role::Firewall),
            h("sw-lager01", Role::Switch),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "weber",
        name: "Weber Elektrotechnik GmbH",
        state: "SN",
        network: "172.16.5",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-file01", Role::File),
            h("srv-app01", Role::App),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "fischer",
        name: "Bäckerei Fischer GmbH",
        state: "NI",
        network: "192.168.20",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-kasse01", Role::App),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "hoffmann",
        name: "Hoffmann & Söhne Metallbau GmbH",
        state: "TH",
        network: "10.50.0",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-file01", Role::File),
            h("srv-cad01", Role::App),
            h("esx-01", Role::Esx),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "wagner",
        name: "Wagner Immobilien GmbH",
        state: "BE",
        network: "172.16.20",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-file01", Role::File),
            h("srv-exch01", Role::Mail),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "becker",
        name: "Becker Druck GmbH & Co. KG",
        state: "ST",
        network: "10.60.0",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-file01", Role::File),
            h("srv-rip01", Role::App),
            h("sql-01", Role::Sql),
            h("esx-01", Role::Esx),
            h("fw-01", Role::Firewall),
            h("sw-core01", Role::Switch),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "schulz",
        name: "Kanzlei Schulz Rechtsanwälte",
        state: "HB",
        network: "192.168.30",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-dms01", Role::App),
            h("rds-01", Role::Rds),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "klein",
        name: "Zahnarztpraxis Dr. Klein",
        state: "SL",
        network: "192.168.40",
        hosts: &[
            h("srv-praxis01", Role::App),
            h("srv-roentgen01", Role::App),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "zimmermann",
        name: "Zimmermann Holzbau GmbH",
        state: "BB",
        network: "10.70.0",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-file01", Role::File),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
            h("usv-01", Role::Ups),
        ],
    },
    DemoTenant {
        id: "richter",
        name: "Pflegedienst Richter gGmbH",
        state: "MV",
        network: "172.16.30",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-pflege01", Role::App),
            h("sql-01", Role::Sql),
            h("rds-01", Role::Rds),
            h("fw-01", Role::Firewall),
            h("nas-backup", Role::Nas),
        ],
    },
    DemoTenant {
        id: "lange",
        name: "Lange Verpackungen GmbH",
        state: "SH",
        network: "10.80.0",
        hosts: &[
            h("srv-dc01", Role::Dc),
            h("srv-dc02", Role::Dc),
            h("srv-erp01", Role::App),
            h("sql-01", Role::Sql),
            h("sql-02", Role::Sql),
            h("esx-01", Role::Esx),
            h("esx-02", Role::Esx),
            h("fw-01", Role::Firewall),
            h("sw-core01", Role::Switch),
            h("nas-backup", Role::Nas),
            h("usv-01", Role::Ups),
        ],
    },
];

/// The MSP's technicians who answer tickets and acknowledge alerts.
pub const AGENTS: &[&str] = &[
    "Jonas Hartmann",
    "Aylin Demir",
    "Lukas Berger",
    "Sophie Krüger",
    "Mehmet Kaya",
    "Nina Vogel",
];

/// Contact persons at the customers who open tickets.
pub const CONTACTS: &[&str] = &[
    "Frau Schmidt",
    "Herr Yılmaz",
    "Frau Nowak",
    "Herr Becker",
    "Frau Hoffmann",
    "Herr Wolf",
    "Frau Lehmann",
    "Herr Schäfer",
    "Frau Öztürk",
    "Herr Krause",
    "Frau Jäger",
    "Herr Dąbrowski",
];

/// Surnames for generated bulk tenants (`<Surname> <Branch> GmbH`).
pub const SURNAMES: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
];

/// Lines of business for generated bulk tenants.
pub const BRANCHES: &[&str] = &[
    "Maschinenbau",
    "Logistik",
    "Elektrotechnik",
    "Holzbau",
    "Druck",
    "Immobilien",
    "Verpackungen",
    "Metallbau",
    "Haustechnik",
    "Bauunternehmung",
    "Spedition",
    "Kunststofftechnik",
    "Feinmechanik",
    "Lebensmittel",
    "Gebäudereinigung",
    "Steuerberatung",
    "Autoteile",
    "Medizintechnik",
    "Werkzeugbau",
    "Landtechnik",
    "Möbelwerkstätten",
    "Glasbau",
    "Elektrogroßhandel",
    "Sanitär",
    "Brauerei",
];

/// Host names (with their role) the bulk generator hands out, most common first.
pub const BULK_HOSTS: &[HostDef] = &[
    h("srv-dc01", Role::Dc),
    h("fw-01", Role::Firewall),
    h("srv-file01", Role::File),
    h("nas-backup", Role::Nas),
    h("srv-db-03", Role::Sql),
    h("esx-01", Role::Esx),
    h("rds-01", Role::Rds),
    h("srv-app01", Role::App),
    h("srv-dc02", Role::Dc),
    h("sw-core01", Role::Switch),
    h("srv-exch01", Role::Mail),
    h("esx-02", Role::Esx),
    h("usv-01", Role::Ups),
];

/// ASCII slug for ids and host domains: lower case, umlauts spelled out.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn tenant_ids_are_unique_and_cover_every_bundesland() {
        let ids: HashSet<_> = TENANTS.iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), TENANTS.len());
        let states: HashSet<_> = TENANTS.iter().map(|t| t.state).collect();
        assert_eq!(states.len(), 16, "one tenant per Bundesland");
    }

    #[test]
    fn every_tenant_has_four_to_twelve_unique_hosts() {
        for t in TENANTS {
            assert!((4..=12).contains(&t.hosts.len()), "{}", t.id);
            let names: HashSet<_> = t.hosts.iter().map(|h| h.name).collect();
            assert_eq!(names.len(), t.hosts.len(), "{}", t.id);
        }
    }

    #[test]
    fn networks_are_private_ranges() {
        for t in TENANTS {
            let private = t.network.starts_with("10.")
                || t.network.starts_with("192.168.")
                || t.network.starts_with("172.16.");
            assert!(private, "{}", t.network);
        }
    }

    #[test]
    fn slug_spells_out_umlauts() {
        assert_eq!(slug("König"), "koenig");
        assert_eq!(slug("Weiß & Söhne"), "weisssoehne");
    }
}

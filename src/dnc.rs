//! The DNC rule of VICIdial's hopper job, as pure functions: which numbers to
//! look up, and which list (internal or campaign) a lead's phone hits. The
//! lookups themselves are one set-based query per batch (`db::facts`).

use std::collections::HashSet;

/// How a campaign consults one DNC list (`use_internal_dnc`, `use_campaign_dnc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DncMode {
    /// `N`: not consulted.
    Off,
    /// `Y`: the exact number.
    Exact,
    /// `AREACODE`: the exact number, or its area code followed by `XXXXXXX`.
    AreaCode,
}

impl DncMode {
    /// Reads VICIdial's ENUM value; anything unknown is `Off`, as in VICIdial.
    pub fn parse(text: &str) -> DncMode {
        match text {
            "Y" => DncMode::Exact,
            "AREACODE" => DncMode::AreaCode,
            _ => DncMode::Off,
        }
    }
}

/// Which list a number was found on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DncList {
    /// `vicidial_dnc`.
    Internal,
    /// `vicidial_campaign_dnc` of this campaign.
    Campaign(String),
}

impl DncList {
    /// The lead status VICIdial gives a lead on this list.
    pub fn lead_status(&self) -> &'static str {
        match self {
            DncList::Internal => "DNCL",
            DncList::Campaign(_) => "DNCC",
        }
    }
}

impl std::fmt::Display for DncList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DncList::Internal => write!(f, "internal DNC list"),
            DncList::Campaign(c) => write!(f, "campaign DNC list of {c}"),
        }
    }
}

/// A campaign's DNC settings, as they apply to callbacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DncPolicy {
    /// `use_internal_dnc`.
    pub internal: DncMode,
    /// `use_campaign_dnc`.
    pub campaign: DncMode,
    /// The campaign whose list is consulted (`use_other_campaign_dnc` when set).
    pub campaign_list: String,
}

/// The entries that would match `phone` under `mode`.
pub fn lookup_keys(phone: &str, mode: DncMode) -> Vec<String> {
    if phone.is_empty() {
        return vec![];
    }
    match mode {
        DncMode::Off => vec![],
        DncMode::Exact => vec![phone.to_string()],
        DncMode::AreaCode => {
            let mut keys = vec![phone.to_string()];
            if let Some(area) = phone.get(..3) {
                keys.push(format!("{area}XXXXXXX"));
            }
            keys
        }
    }
}

/// The DNC entries found for one batch.
#[derive(Clone, Debug, Default)]
pub struct DncHits {
    /// Entries of `vicidial_dnc` that exist.
    pub internal: HashSet<String>,
    /// `(campaign_id, entry)` pairs of `vicidial_campaign_dnc` that exist.
    pub campaign: HashSet<(String, String)>,
}

/// The list `phone` is on, internal first, as VICIdial checks them.
pub fn check(policy: &DncPolicy, phone: &str, hits: &DncHits) -> Option<DncList> {
    if lookup_keys(phone, policy.internal)
        .iter()
        .any(|k| hits.internal.contains(k))
    {
        return Some(DncList::Internal);
    }
    let list = &policy.campaign_list;
    lookup_keys(phone, policy.campaign)
        .into_iter()
        .any(|k| hits.campaign.contains(&(list.clone(), k)))
        .then(|| DncList::Campaign(list.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(internal: DncMode, campaign: DncMode) -> DncPolicy {
        DncPolicy {
            internal,
            campaign,
            campaign_list: "SALES".into(),
        }
    }

    fn hits(internal: &[&str], campaign: &[(&str, &str)]) -> DncHits {
        DncHits {
            internal: internal.iter().map(|s| s.to_string()).collect(),
            campaign: campaign.iter().map(|(c, n)| (c.to_string(), n.to_string())).collect(),
        }
    }

    #[test]
    fn keys_per_mode() {
        assert!(lookup_keys("3125550100", DncMode::Off).is_empty());
        assert_eq!(lookup_keys("3125550100", DncMode::Exact), vec!["3125550100"]);
        assert_eq!(
            lookup_keys("3125550100", DncMode::AreaCode),
            vec!["3125550100", "312XXXXXXX"]
        );
        assert!(lookup_keys("", DncMode::AreaCode).is_empty());
        assert_eq!(lookup_keys("31", DncMode::AreaCode), vec!["31"]);
    }

    #[test]
    fn internal_exact_and_areacode() {
        let h = hits(&["3125550100", "415XXXXXXX"], &[]);
        assert_eq!(
            check(&policy(DncMode::Exact, DncMode::Off), "3125550100", &h),
            Some(DncList::Internal)
        );
        assert_eq!(check(&policy(DncMode::Exact, DncMode::Off), "4155550100", &h), None);
        assert_eq!(
            check(&policy(DncMode::AreaCode, DncMode::Off), "4155550100", &h),
            Some(DncList::Internal)
        );
        assert_eq!(check(&policy(DncMode::Off, DncMode::Off), "3125550100", &h), None);
    }

    #[test]
    fn campaign_list_and_other_campaign() {
        let h = hits(
            &[],
            &[
                ("SALES", "3125550100"),
                ("OTHER", "2125550100"),
                ("SALES", "646XXXXXXX"),
            ],
        );
        let p = policy(DncMode::Exact, DncMode::Exact);
        assert_eq!(check(&p, "3125550100", &h), Some(DncList::Campaign("SALES".into())));
        assert_eq!(check(&p, "2125550100", &h), None);
        assert_eq!(check(&p, "6465550100", &h), None);
        let area = policy(DncMode::Off, DncMode::AreaCode);
        assert_eq!(check(&area, "6465550100", &h), Some(DncList::Campaign("SALES".into())));
        let other = DncPolicy {
            campaign_list: "OTHER".into(),
            ..p
        };
        assert_eq!(check(&other, "2125550100", &h), Some(DncList::Campaign("OTHER".into())));
    }

    #[test]
    fn internal_wins_over_campaign() {
        let h = hits(&["3125550100"], &[("SALES", "3125550100")]);
        assert_eq!(
            check(&policy(DncMode::Exact, DncMode::Exact), "3125550100", &h),
            Some(DncList::Internal)
        );
        assert_eq!(DncList::Internal.lead_status(), "DNCL");
        assert_eq!(DncList::Campaign("X".into()).lead_status(), "DNCC");
    }
}

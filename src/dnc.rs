//! The DNC rule of VICIdial's hopper job for callbacks, as a pure function:
//! which list (internal or campaign) a lead's phone hits under a campaign's
//! settings. Whether an entry exists is decided by SQL under the DNC tables'
//! own collation (`db::facts::dnc`), exactly as VICIdial's own queries match
//! (`AST_VDhopper.pl` lines 671-735: `phone_number IN('$phone','$NPAXXXXXXX')`).

use crate::model::DncFacts;

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

    fn hits(self, number: bool, areacode: bool) -> bool {
        match self {
            DncMode::Off => false,
            DncMode::Exact => number,
            DncMode::AreaCode => number || areacode,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DncPolicy {
    /// `use_internal_dnc`.
    pub internal: DncMode,
    /// `use_campaign_dnc`.
    pub campaign: DncMode,
}

impl DncPolicy {
    /// Whether any list is consulted at all.
    pub fn consults(&self) -> bool {
        self.internal != DncMode::Off || self.campaign != DncMode::Off
    }
}

/// The list the phone is on, internal first, as VICIdial checks them (the
/// campaign list only when the internal one did not hit, line 706).
pub fn check(policy: &DncPolicy, facts: &DncFacts) -> Option<DncList> {
    if policy.internal.hits(facts.internal_number, facts.internal_areacode) {
        return Some(DncList::Internal);
    }
    policy
        .campaign
        .hits(facts.campaign_number, facts.campaign_areacode)
        .then(|| DncList::Campaign(facts.campaign_list.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(internal: DncMode, campaign: DncMode) -> DncPolicy {
        DncPolicy { internal, campaign }
    }

    fn facts(internal: (bool, bool), campaign: (bool, bool)) -> DncFacts {
        DncFacts {
            internal_number: internal.0,
            internal_areacode: internal.1,
            campaign_number: campaign.0,
            campaign_areacode: campaign.1,
            campaign_list: "SALES".into(),
        }
    }

    #[test]
    fn internal_exact_and_areacode() {
        let number = facts((true, false), (false, false));
        let area = facts((false, true), (false, false));
        assert_eq!(
            check(&policy(DncMode::Exact, DncMode::Off), &number),
            Some(DncList::Internal)
        );
        assert_eq!(check(&policy(DncMode::Exact, DncMode::Off), &area), None);
        assert_eq!(
            check(&policy(DncMode::AreaCode, DncMode::Off), &area),
            Some(DncList::Internal)
        );
        assert_eq!(check(&policy(DncMode::Off, DncMode::Off), &number), None);
    }

    #[test]
    fn campaign_list_exact_and_areacode() {
        let number = facts((false, false), (true, false));
        let area = facts((false, false), (false, true));
        let exact = policy(DncMode::Exact, DncMode::Exact);
        assert_eq!(check(&exact, &number), Some(DncList::Campaign("SALES".into())));
        assert_eq!(check(&exact, &area), None);
        let by_area = policy(DncMode::Off, DncMode::AreaCode);
        assert_eq!(check(&by_area, &area), Some(DncList::Campaign("SALES".into())));
        assert!(by_area.consults() && !policy(DncMode::Off, DncMode::Off).consults());
    }

    #[test]
    fn internal_wins_over_campaign() {
        let both = facts((true, false), (true, false));
        assert_eq!(
            check(&policy(DncMode::Exact, DncMode::Exact), &both),
            Some(DncList::Internal)
        );
        assert_eq!(DncList::Internal.lead_status(), "DNCL");
        assert_eq!(DncList::Campaign("X".into()).lead_status(), "DNCC");
    }
}

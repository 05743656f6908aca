//! The DNC rule of VICIdial's hopper job for callbacks, as a pure function:
//! which list (internal or campaign) a lead's phone hits under a campaign's
//! settings. Whether an entry exists is decided by SQL under the DNC tables'
//! own collation (`db::facts::dnc`), exactly as VICIdial's own queries match
//! (`AST_VDhopper.pl` lines 671-735, VICIdial 2.14: `phone_number IN('$phone','$NPAXXXXXXX')`;
//! `docs/vicidial.md`, section "DNC").


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

    /// Whether the phone is on a list consulted this way; `None` when an
    /// entry this needs was not looked up.
    fn hits(self, number: Option<bool>, areacode: Option<bool>) -> Option<bool> {
        match self {
            DncMode::Off => Some(false),
            DncMode::Exact => number,
            DncMode::AreaCode => match (number, areacode) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
        }
    }

    /// The entries this mode looks for: (the number, the area code entry).
    fn wants(self) -> (bool, bool) {
        match self {
            DncMode::Off => (false, false),
            DncMode::Exact => (true, false),
            DncMode::AreaCode => (true, true),
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

    /// The entries [`check`] reads under this policy.
    pub fn lookups(&self) -> DncLookups {
        let (internal_number, internal_areacode) = self.internal.wants();
        let (campaign_number, campaign_areacode) = self.campaign.wants();
        DncLookups {
            internal_number,
            internal_areacode,
            campaign_number,
            campaign_areacode,
        }
    }
}

/// An entry [`check`] needs was not looked up: the callback is held (a gate
/// fails closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotLookedUp;

/// The list the phone is on, internal first, as VICIdial checks them (the
/// campaign list only when the internal one did not hit, `AST_VDhopper.pl` line 701,
/// VICIdial 2.14).
pub fn check(policy: &DncPolicy, facts: &DncFacts) -> Result<Option<DncList>, NotLookedUp> {
    match policy.internal.hits(facts.internal_number, facts.internal_areacode) {
        Some(true) => return Ok(Some(DncList::Internal)),
        Some(false) => {}
        None => return Err(NotLookedUp),
    }
    match policy.campaign.hits(facts.campaign_number, facts.campaign_areacode) {
        Some(true) => Ok(Some(DncList::Campaign(facts.campaign_list.clone()))),
        Some(false) => Ok(None),
        None => Err(NotLookedUp),
    }
}

/// Which DNC entries exist for one callback's phone, as SQL matched them
/// under the DNC tables' own collation (`db::facts::dnc`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DncFacts {
    /// `vicidial_dnc` has the phone number; `None`: not looked up.
    pub internal_number: Option<bool>,
    /// `vicidial_dnc` has the area code entry (`NPAXXXXXXX`); `None`: not looked up.
    pub internal_areacode: Option<bool>,
    /// The campaign DNC list has the phone number; `None`: not looked up.
    pub campaign_number: Option<bool>,
    /// The campaign DNC list has the area code entry; `None`: not looked up.
    pub campaign_areacode: Option<bool>,
    /// The campaign whose DNC list was consulted (`use_other_campaign_dnc` when set).
    pub campaign_list: String,
}

impl DncFacts {
    /// Two readings of the same entries as one: an entry found by either is
    /// found (a lead's row repeated by a join).
    pub fn merged(a: Option<DncFacts>, b: Option<DncFacts>) -> Option<DncFacts> {
        let (Some(a), Some(b)) = (&a, &b) else {
            return a.or(b);
        };
        let either = |x: Option<bool>, y: Option<bool>| match (x, y) {
            (Some(x), Some(y)) => Some(x || y),
            (x, y) => x.or(y),
        };
        Some(DncFacts {
            internal_number: either(a.internal_number, b.internal_number),
            internal_areacode: either(a.internal_areacode, b.internal_areacode),
            campaign_number: either(a.campaign_number, b.campaign_number),
            campaign_areacode: either(a.campaign_areacode, b.campaign_areacode),
            campaign_list: a.campaign_list.clone(),
        })
    }
}

/// Which DNC entries a batch looks up (the union of its campaigns' needs,
/// `dnc::DncPolicy::lookups`): an area code entry only for a list consulted
/// with `AREACODE`, a list only when consulted at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DncLookups {
    /// `vicidial_dnc`, the number.
    pub internal_number: bool,
    /// `vicidial_dnc`, the area code entry.
    pub internal_areacode: bool,
    /// The campaign list, the number.
    pub campaign_number: bool,
    /// The campaign list, the area code entry.
    pub campaign_areacode: bool,
}

impl DncLookups {
    /// What either looks up.
    pub fn union(self, other: DncLookups) -> DncLookups {
        DncLookups {
            internal_number: self.internal_number || other.internal_number,
            internal_areacode: self.internal_areacode || other.internal_areacode,
            campaign_number: self.campaign_number || other.campaign_number,
            campaign_areacode: self.campaign_areacode || other.campaign_areacode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(internal: DncMode, campaign: DncMode) -> DncPolicy {
        DncPolicy { internal, campaign }
    }

    fn facts(internal: (bool, bool), campaign: (bool, bool)) -> DncFacts {
        DncFacts {
            internal_number: Some(internal.0),
            internal_areacode: Some(internal.1),
            campaign_number: Some(campaign.0),
            campaign_areacode: Some(campaign.1),
            campaign_list: "SALES".into(),
        }
    }

    #[test]
    fn internal_exact_and_areacode() {
        let number = facts((true, false), (false, false));
        let area = facts((false, true), (false, false));
        let internal = |mode| policy(mode, DncMode::Off);
        assert_eq!(check(&internal(DncMode::Exact), &number), Ok(Some(DncList::Internal)));
        assert_eq!(check(&internal(DncMode::Exact), &area), Ok(None));
        assert_eq!(check(&internal(DncMode::AreaCode), &area), Ok(Some(DncList::Internal)));
        assert_eq!(check(&internal(DncMode::Off), &number), Ok(None));
    }

    #[test]
    fn campaign_list_exact_and_areacode() {
        let number = facts((false, false), (true, false));
        let area = facts((false, false), (false, true));
        let exact = policy(DncMode::Exact, DncMode::Exact);
        assert_eq!(check(&exact, &number), Ok(Some(DncList::Campaign("SALES".into()))));
        assert_eq!(check(&exact, &area), Ok(None));
        let by_area = policy(DncMode::Off, DncMode::AreaCode);
        assert_eq!(check(&by_area, &area), Ok(Some(DncList::Campaign("SALES".into()))));
        assert!(by_area.consults() && !policy(DncMode::Off, DncMode::Off).consults());
    }

    #[test]
    fn internal_wins_over_campaign() {
        let both = facts((true, false), (true, false));
        assert_eq!(
            check(&policy(DncMode::Exact, DncMode::Exact), &both),
            Ok(Some(DncList::Internal))
        );
        assert_eq!(DncList::Internal.lead_status(), "DNCL");
        assert_eq!(DncList::Campaign("X".into()).lead_status(), "DNCC");
    }

    /// Only the entries a policy reads are looked up, and an entry it reads
    /// that was not looked up holds the callback: never a pass.
    #[test]
    fn lookups_follow_the_policy_and_a_missing_entry_is_not_a_pass() {
        let exact_area = policy(DncMode::Exact, DncMode::AreaCode);
        assert_eq!(
            exact_area.lookups(),
            DncLookups {
                internal_number: true,
                internal_areacode: false,
                campaign_number: true,
                campaign_areacode: true,
            }
        );
        assert_eq!(policy(DncMode::Off, DncMode::Off).lookups(), DncLookups::default());
        let looked_up = |lookups: DncLookups| DncFacts {
            internal_number: lookups.internal_number.then_some(false),
            internal_areacode: lookups.internal_areacode.then_some(false),
            campaign_number: lookups.campaign_number.then_some(false),
            campaign_areacode: lookups.campaign_areacode.then_some(false),
            campaign_list: "SALES".into(),
        };
        assert_eq!(check(&exact_area, &looked_up(exact_area.lookups())), Ok(None));
        let exact = policy(DncMode::Exact, DncMode::Exact);
        assert_eq!(
            check(&exact_area, &looked_up(exact.lookups())),
            Err(NotLookedUp),
            "the campaign's area code entry was not looked up"
        );
        assert_eq!(check(&exact, &DncFacts::default()), Err(NotLookedUp));
        let mut hit = looked_up(exact.lookups());
        hit.campaign_number = Some(true);
        assert_eq!(
            check(&exact_area, &hit),
            Ok(Some(DncList::Campaign("SALES".into()))),
            "a hit on the number needs no area code entry"
        );
    }
}

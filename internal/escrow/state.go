package escrow

import "strings"

// StateCode maps a US state or territory, given as a full name, a common
// variant of one, or a USPS code in any case, to its two-letter USPS code.
// Anything else gives ok == false: the organisation export holds full names
// and the target column is two characters wide, and cutting "Ohio" to "Oh"
// is worse than leaving the column empty and reporting the value.
func StateCode(s string) (code string, ok bool) {
	k := stateKey(s)
	if len(k) == 2 {
		up := strings.ToUpper(k)
		if _, ok := stateCodes[up]; ok {
			return up, true
		}
		return "", false
	}
	for _, p := range statePrefixes {
		k = strings.TrimPrefix(k, p)
	}
	code, ok = stateNames[k]
	return code, ok
}

// stateKey lowercases s, drops periods, treats commas as spaces and collapses
// runs of whitespace, so that "Washington,  D.C." and "washington dc" meet.
func stateKey(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, ".", "")
	s = strings.ReplaceAll(s, ",", " ")
	return strings.Join(strings.Fields(s), " ")
}

var statePrefixes = []string{"state of ", "commonwealth of ", "territory of "}

var stateNames = func() map[string]string {
	m := make(map[string]string, len(stateCodes)+len(stateVariants))
	for code, name := range stateCodes {
		m[stateKey(name)] = code
	}
	for name, code := range stateVariants {
		m[stateKey(name)] = code
	}
	return m
}()

// stateCodes holds every code StateCode can return, with its usual name.
var stateCodes = map[string]string{
	"AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas",
	"CA": "California", "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware",
	"FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
	"IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
	"KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
	"MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
	"MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
	"NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
	"NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
	"OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
	"SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
	"VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
	"WI": "Wisconsin", "WY": "Wyoming",
	"DC": "District of Columbia",
	"PR": "Puerto Rico", "GU": "Guam", "VI": "Virgin Islands",
	"AS": "American Samoa", "MP": "Northern Mariana Islands",
}

// stateVariants are other spellings seen in address data, keyed after the
// official-style prefix ("State of", "Commonwealth of") is removed.
// "Washington" alone is the state, never the capital.
var stateVariants = map[string]string{
	"Washington DC":                           "DC",
	"US Virgin Islands":                       "VI",
	"United States Virgin Islands":            "VI",
	"Virgin Islands of the United States":     "VI",
	"Virgin Islands US":                       "VI",
	"the Northern Mariana Islands":            "MP",
	"Northern Marianas":                       "MP",
	"Rhode Island and Providence Plantations": "RI",
}

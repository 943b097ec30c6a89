# Templates are prose, one sentence per line: wrapping them would hide where sentences end.
# ruff: noqa: E501
"""Hard-news template banks: politics, economy, climate, health and local news."""

from __future__ import annotations

from newswire.app.demo.phrasebank.topic import TopicBank, tagged

POLITICS = TopicBank(
    name="politics",
    section="Politics",
    tags=("Parliament", "Government", "Elections"),
    roles=("Finance Minister", "opposition leader", "Housing Minister", "Home Secretary"),
    orgs=("Electoral Commission", "Public Accounts Committee", "Treasury", "Cabinet Office"),
    subjects=(
        "the housing bill",
        "the rail fares freeze",
        "the new planning rules",
        "the devolution deal",
        "the schools & colleges funding formula",
    ),
    expert_titles=(
        "a professor of politics at the University of Ashcombe",
        "director of the Centre for Civic Research",
        "a former cabinet secretary",
    ),
    headlines=tagged("""
        [vote] {official} under pressure as vote on {subject} nears
        [vote] {surname} vows to press ahead with {subject} despite backbench revolt
        [memo] Opposition demands inquiry after leaked memo on {subject}
        [memo] Q&A: what the leaked memo on {subject} means for {region}
        [byelection] Voters in {place} head to the polls in knife-edge by-election
        [byelection] By-election in {place} seen as test for government over {subject}
    """),
    ledes=tagged("""
        [vote] The government's plans for {subject} suffered a fresh setback on {weekday} when {n} of its own MPs said they would vote against them.
        [vote] {official} faced mounting criticism on {weekday} after the government confirmed it would press ahead with {subject} despite a growing backbench rebellion.
        [memo] A cross-party group of MPs has demanded a full inquiry into {subject} after a leaked memo suggested ministers were warned about the costs last year.
        [memo] {official} was forced on {weekday} to defend the handling of {subject} after an internal memo contradicted the government's public statements.
        [byelection] Voters in {place} go to the polls on {weekday} in a by-election that has become an early test of the government's record on {subject}.
        [byelection] Polls opened in {place} on {weekday} for a by-election that both main parties say is too close to call.
    """),
    body=tagged("""
        The row has exposed divisions within the cabinet that have simmered since the last election.
        {expert}, {expert_title}, said the government had “boxed itself in” with its earlier promises.
        Critics argue the proposals would hit households in {region} hardest.
        Polling published this week suggests {any_pct} of voters back the government's approach, down from a year ago.
        Officials estimate the measures would cost {any_money} over the first three years.
        Supporters say the changes are long overdue and would bring the country into line with its neighbours.
        Party sources said the leadership was confident, though few would say so on the record.
        Speaking to reporters outside parliament, {surname} insisted the government had “listened carefully”.
        [vote] The vote came after weeks of tense negotiations between party whips and rebels from {region}.
        [vote] Several backbenchers from {place} said privately they could not back the bill in its current form.
        [vote] The opposition has tabled {n} amendments, including one that would require an annual review.
        [vote] The committee stage is expected to begin in {month}, with a final vote before the end of the year.
        [vote] Under the draft legislation, local authorities would gain new powers to set their own targets.
        [vote] The upper house has signalled it may seek further changes, raising the prospect of weeks of delay.
        [memo] The memo, dated {month} last year, warned that the costs could be “significantly higher” than announced.
        [memo] A spokesperson for the {org} declined to comment on what it called a leaked document.
        [memo] Opposition MPs said the memo showed ministers had “known all along” about the problems.
        [memo] The {org} said it would consider the request for an inquiry at its next meeting.
        [memo] Government sources insisted the memo was an early draft that had since been superseded.
        [byelection] The seat has been held by the governing party for more than {n2} years.
        [byelection] Campaigners from every party have knocked on thousands of doors in {place} over the past month.
        [byelection] Polls close at 10pm, and the count is expected to run into the early hours.
        [byelection] Local issues, from potholes to the closure of the maternity unit, have dominated the campaign.
        [byelection] A defeat would be the government's {ordinal} by-election loss since the last general election.
        [byelection] The candidates include a former mayor, a local doctor and a businessman who owns {n} shops in the town.
    """),
    quotes=tagged("""
        [vote] This is a plan that works for {region}, and we will not be deflected from delivering it
        [vote] People were promised a fair deal, and what they have been given is a shambles
        [memo] We have asked the same questions for months and still have no straight answers
        [byelection] Nobody here takes this seat for granted, and nobody should
        Nobody in this building should pretend that the public has not noticed
    """),
    subheads=("What happens next", "A divided party", "The numbers behind it"),
)

ECONOMY = TopicBank(
    name="economy",
    section="Business",
    tags=("Economy", "Markets", "Jobs", "Inflation"),
    roles=("Finance Minister", "central bank governor", "Economy Minister"),
    orgs=("National Statistics Office", "Central Bank", "Chamber of Commerce"),
    subjects=("interest rates", "inflation", "the energy price cap", "wage growth"),
    expert_titles=(
        "chief economist at Halden Capital",
        "an analyst at Marsh & Aubrey",
        "a senior fellow at the Institute for Fiscal Research",
    ),
    headlines=tagged("""
        [inflation] Inflation eases to {pct} as food prices cool
        [rates] Central bank holds rates at {pct2} and signals cuts next year
        [jobs] {company} to cut {big} jobs in restructuring
        [jobs] Unions vow to fight {company} job cuts in {region}
        [deal] M&A: {company} agrees {money2} takeover of smaller rival
        [deal] {company} shares jump on {money2} takeover deal
    """),
    ledes=tagged("""
        [inflation] Annual inflation fell to {pct} in {month}, the {org} said on {weekday}, the lowest reading since {past_year}.
        [rates] The central bank held interest rates at {pct2} on {weekday} but signalled that cuts could come sooner than markets expect.
        [jobs] {company} said on {weekday} it would cut up to {big} jobs as part of a {money2} cost-saving plan.
        [jobs] Up to {big} jobs are at risk at {company} after the firm announced plans on {weekday} to close two sites in {region}.
        [deal] {company} has agreed to buy a smaller rival in a deal worth {money2}, the company said on {weekday}.
        [deal] Shares in {company} rose sharply on {weekday} after it agreed a {money2} takeover that would create one of the largest groups in its sector.
    """),
    body=tagged("""
        Analysts warned that a weaker global outlook could weigh on the economy in the coming quarters.
        “We are not out of the woods yet,” {expert}, {expert_title}, said.
        Small businesses in {place} say higher borrowing costs have forced them to shelve investment.
        The government has pledged {any_money2} in support for manufacturers hit by higher energy bills.
        A quarterly survey found that {any_pct} of firms expect to raise prices in the next three months.
        Consumer confidence rose for a {ordinal} consecutive month but remains below its long-run average.
        The currency slipped after the announcement before recovering later in the session.
        [inflation] Economists polled beforehand had expected a slightly smaller fall.
        [inflation] Food and energy prices rose more slowly than at any point since {past_year}.
        [inflation rates] Services inflation, seen as a better gauge of domestic price pressure, stayed high at {any_pct}.
        [inflation rates] Mortgage rates have eased in recent weeks, offering some relief to first-time buyers.
        [inflation rates] Average weekly earnings grew {any_pct} in the three months to {month}, outpacing prices.
        [inflation rates] Markets are now pricing in at least two rate cuts before the end of {next_year}.
        [rates] The decision was expected by most economists, although {n} members of the committee voted for a cut.
        [rates] The governor said the committee would “watch the data closely” before its next meeting in {month}.
        [jobs] Unions said they would seek urgent talks with management over the planned cuts.
        [jobs] The company employs several times that number, most of them at sites in {region}.
        [jobs] {company} said the restructuring would be completed by the end of {next_year} and save {any_money} a year.
        [jobs] Shares in {company} fell {any_pct} in early trading after the announcement.
        [jobs] Local MPs called the decision “a hammer blow” for towns that depend on the plants.
        [deal] The deal, approved by both boards, is expected to close in the first half of {next_year}.
        [deal] Competition regulators are expected to examine the takeover closely given the two firms' combined market share.
        [deal] Shares in {company} rose {any_pct} in early trading.
        [deal] The combined group would employ about {any_big} people and have annual sales of about {any_money2}.
        [deal] Advisers on the deal include two of the largest investment banks, according to people familiar with the matter.
    """),
    quotes=tagged("""
        [inflation] The direction is encouraging, but households will not feel better off for some time
        [rates] We expect the next move in rates to be down, but the timing is finely balanced
        [jobs] These are difficult decisions, and we have not taken them lightly | a spokesperson for {company}
        [deal] Together we will be able to invest more and compete with the biggest players in Europe | the chief executive of {company}
        Every month of higher costs pushes another small firm closer to the edge
    """),
    subheads=("What it means for households", "Market reaction", "A mixed picture"),
)

CLIMATE = TopicBank(
    name="climate",
    section="Environment",
    tags=("Climate", "Weather", "Energy"),
    roles=("Environment Minister", "mayor", "Energy Minister"),
    orgs=("National Weather Service", "Environment Agency", "Coastal Flood Authority"),
    subjects=("the coastal defence scheme", "the offshore wind tender", "the heat action plan"),
    expert_titles=(
        "a climate scientist at the University of Greywater",
        "a hydrologist at the Centre for Water Research",
    ),
    headlines=tagged("""
        [heat] Temperatures hit {temp} as heatwave grips {region}
        [heat] Drought forces water restrictions across {region}
        [flood] Flood warnings issued for {n} towns after record rainfall
        [flood] Hundreds evacuated as River {river} bursts its banks in {place}
        [wall] {place} approves {money2} sea wall to protect homes from rising tides
        [wind] Offshore wind auction draws record bids
    """),
    ledes=tagged("""
        [heat] Temperatures reached {temp} in {place} on {weekday}, the highest ever recorded there in {month}, the {org} said.
        [heat] Water restrictions came into force across {region} on {weekday} after the driest {n}-month spell since records began.
        [flood] Hundreds of homes in {place} were evacuated on {weekday} after the River {river} burst its banks following two days of heavy rain.
        [flood] The {org} issued flood warnings for {n} towns on {weekday} as more heavy rain swept across {region}.
        [wind] The government's offshore wind auction drew record bids on {weekday}, with developers competing for sites off the coast near {place}.
        [wall] Councillors in {place} have approved a {money2} sea wall designed to protect thousands of homes from rising tides and winter storms.
    """),
    body=tagged("""
        [heat flood] Scientists say such extremes have become several times more likely as the planet warms.
        [heat flood] {expert}, {expert_title}, said the findings were “consistent with a warming climate”.
        Environmental groups welcomed the response but said it did not go far enough.
        [heat flood] Insurers estimate the cost could run to {any_money2}, although the final figure may be higher.
        Officials said the {org} would publish a full assessment in {month}.
        [heat] Forecasters said the hot spell was likely to last until at least the end of the week.
        [heat] Hospitals in {region} reported a rise in admissions linked to heat exhaustion.
        [heat] The previous record of {temp2}, set in {past_year}, had stood for more than a decade.
        [heat] Farmers warned that a second dry summer in a row could cut harvests sharply.
        [heat] Water companies have asked customers to avoid using hosepipes until further notice.
        [heat] Local authorities have opened cooling centres in libraries and community halls.
        [heat] Firefighters tackled a grass fire covering {n2} hectares on the outskirts of {place2}.
        [heat] Railway operators imposed speed restrictions over fears that tracks could buckle.
        [flood] The {org} issued {n} severe flood warnings, meaning there is a danger to life.
        [flood] Emergency crews worked through the night to pump water from streets in the town centre.
        [flood] Residents in low-lying streets said the water rose faster than anyone had expected.
        [flood] Rainfall in {month} was more than double the long-term average, provisional figures show.
        [flood] Rest centres were opened in schools and church halls for families unable to return home.
        [flood] Several roads in and out of {place} remained closed on {weekday} evening.
        [flood] The army was put on standby to help if conditions worsened.
        [flood] Train services between {place} and {place2} were suspended.
        [wall] The project will see {n2} kilometres of coastline reinforced with rock armour and new dunes.
        [wall] Sea levels along the coast have risen by about {n2} centimetres since records began.
        [wall] Construction is due to begin in {month} and take about three years.
        [wall] Some residents have objected to the height of the wall, saying it will block views of the sea.
        [wall] The existing defences, built in the 1950s, were overtopped twice last winter.
        [wall] About {any_big} homes and businesses are at risk of flooding in a severe storm, officials say.
        [wall] The {org} will pay most of the cost, with the rest coming from the council.
        [wall] Work will be phased to keep the beach open during the summer months.
        [wind] The country generated {any_pct} of its electricity from wind and solar last year, a record.
        [wind] Critics said the timetable left little room for delays in building grid connections.
        [wind] The winning projects are expected to be generating power by {target_year}.
        [wind] Fishing groups have raised concerns about the impact on traditional fishing grounds.
        [wind] Officials said the auction had secured enough capacity to power millions of homes.
        [wind] The auction attracted bids from {n} consortia, several of them led by overseas energy companies.
        [wind] The price agreed was the lowest in any auction so far, officials said.
        [wind] Ports along the coast are competing to become assembly bases for the turbines.
        [wind] Energy companies warned that rising costs could still delay some projects.
    """),
    quotes=tagged("""
        [flood] We have never seen the river come up this quickly, not in forty years of living here | {newcomer}, who lives in {place}
        [heat] Nobody should be out in the midday sun unless they absolutely have to be
        [wall] The scheme buys us time, but it does not change the direction of travel
        [heat flood] This is exactly what the models told us to expect, and it will happen again
        [wind] This is the cheapest new power we can build, and it is built here
    """),
    subheads=("What happens next", "The background", "Reaction"),
)

HEALTH = TopicBank(
    name="health",
    section="Health",
    tags=("Hospitals", "Public health", "Medicine"),
    roles=("Health Minister", "chief medical officer", "chief executive"),
    orgs=("Health Service", "Medicines Agency", "Public Health Institute", "College of Nursing"),
    subjects=("the waiting-list plan", "the winter plan", "the new maternity unit"),
    expert_titles=(
        "a consultant in emergency medicine",
        "professor of epidemiology at the University of Ashcombe",
    ),
    headlines=tagged("""
        [waits] Waiting lists fall for first time in {n} years
        [incident] {hospital} declares critical incident as A&E demand surges
        [trial] Trial finds new drug slows progression of {condition}
        [trial] Hope for patients with {condition} after drug trial
        [pay] Nurses vote to accept {pct} pay offer
        [maternity] New maternity unit opens at {hospital}
    """),
    ledes=tagged("""
        [waits] The number of patients waiting for planned treatment has fallen for the first time in {n} years, figures published by the {org} on {weekday} show.
        [incident] {hospital} declared a critical incident on {weekday} after an unprecedented number of patients arrived at its emergency department.
        [trial] A new drug slowed the progression of {condition} by almost a third in a large clinical trial, researchers reported in {medical_journal}.
        [trial] Patients with {condition} who took an experimental drug declined significantly more slowly than those given a placebo, according to results published on {weekday}.
        [pay] Nurses have voted to accept a {pct} pay rise, ending a dispute that has rumbled on since the spring, the {org} said on {weekday}.
        [maternity] A new maternity unit opened at {hospital} on {weekday}, {n} years after the old one was closed over safety concerns.
    """),
    body=tagged("""
        Health spending has risen in each of the past {n} years, but demand has grown faster.
        {place} has one of the oldest populations in the region, which puts extra pressure on local services.
        Patients can find more information on the {org} website.
        [waits incident maternity] Hospital managers said staff shortages remained the biggest obstacle to faster progress.
        [waits] {official} said the figures showed that “the plan is working, but there is more to do”.
        [waits] The {org} said it would publish a detailed breakdown by region in {month}.
        [waits incident] Ambulance response times in {region} remain well above the national target.
        [waits trial] {expert}, {expert_title}, described the development as “genuinely encouraging”.
        [waits] The figures show {any_big} people were waiting for treatment at the end of {month}.
        [incident] Patients were urged to attend emergency departments only if their condition was serious.
        [incident] The hospital has asked people to use pharmacies and urgent care centres for minor injuries.
        [waits] Campaigners said the figures masked long delays for mental health treatment.
        [incident] The trust said it had opened {n} extra wards to cope with demand.
        [incident] A spokesperson for {hospital} apologised to patients who had faced long waits.
        [incident] Ambulances queued outside the emergency department for several hours on {weekday} evening.
        [incident] Some patients waited more than twelve hours on trolleys before a bed could be found.
        [incident] Managers said the surge was driven by flu and a rise in falls among elderly people during the cold snap.
        [incident] Planned operations were postponed to free up beds and staff.
        [incident] The critical incident is expected to remain in place for at least 48 hours.
        [waits] Those waiting more than a year for treatment now make up about {any_pct} of the total.
        [waits] Ministers have promised to bring the total down further before the next election.
        [waits] The biggest improvements were in hip and knee operations and cataract surgery.
        [waits] Community diagnostic centres have helped to speed up scans and tests, officials said.
        [trial] The trial involved {any_big} patients across {n} countries and lasted {n2} months.
        [trial] Side effects were generally mild, although a small number of participants withdrew.
        [trial] The drug is expected to be submitted to regulators for approval next year.
        [trial] Researchers will follow participants for another five years to assess long-term effects.
        [trial] Charities cautioned that the drug was not a cure and that any approval was still some way off.
        [trial] Participants were given the drug or a placebo by injection once a month.
        [trial] The results were presented at a medical conference in {place2} before publication.
        [trial] The price of the drug, if approved, has not yet been disclosed.
        [trial] Patients' groups said access should be swift and fair if regulators approve it.
        [pay] Some members said the offer did not make up for years of below-inflation rises.
        [maternity] The new unit has {n2} beds and will handle about {any_big} births a year.
        [pay] The deal will be backdated to April and paid in members' salaries from {month}.
        [maternity] Mothers in the area had faced journeys of up to an hour to give birth since the old unit closed.
        [maternity] Recruiting enough midwives remains a challenge, managers admitted.
        [maternity] The first baby was born in the unit within hours of it opening.
        [maternity] The unit includes birthing pools, a bereavement suite and rooms where partners can stay overnight.
        [maternity] It was built at a cost of {any_money}, funded mainly by the {org}.
        [maternity] Midwives from the unit will also run antenatal clinics in {place2}.
        [maternity] The old unit was closed after an inspection found serious staffing problems.
        [pay] The union said a large majority of members who took part in the ballot had backed the deal.
        [pay] Ministers said the settlement was fair and affordable, and would not mean cuts elsewhere.
        [pay] The dispute had led to {n} days of strikes, with thousands of appointments postponed.
        [pay] Nurses will also receive a one-off payment in addition to the rise.
        [pay] The college said it would keep campaigning for safe staffing levels on wards.
        [pay] Hospital leaders welcomed the end of the dispute and said patients would benefit.
    """),
    quotes=tagged("""
        [waits incident] Staff are working incredibly hard, but the system is running at full stretch
        [trial] These results give real hope to families who have had very little of it
        [pay] It is not everything we asked for, but it is a real step forward for our members | {newcomer}, a union representative at {hospital}
        [maternity] Families here have waited a long time for this, and they deserve the very best care
        [waits incident] Patients deserve better, and that is what we are determined to deliver
    """),
    subheads=("What happens next", "The background", "What patients should know"),
)

LOCAL = TopicBank(
    name="local",
    section="Local",
    tags=("Council", "Transport", "Community"),
    roles=("council leader", "mayor", "councillor"),
    orgs=("Harbour Trust", "Residents' Association", "Civic Society", "Friends of the Foreshore"),
    subjects=("the bypass plan", "the library closures", "the new cycle lanes", "parking charges"),
    expert_titles=("chair of the local traders' association", "a town planner"),
    headlines=tagged("""
        [library] Residents fight plans to close library on {street}
        [library] Petition to save {street} library passes {big} signatures
        [lanes] Council approves new cycle lanes despite traders' objections
        [works] {street} to close for {n} weeks during water main repairs
        [harbour] Harbour redevelopment in {place} gets green light
        [harbour] Old customs house to be saved in {place} harbour scheme
        [beach] Volunteers clear {n2} bags of litter from {place} beach
    """),
    ledes=tagged("""
        [library] Residents in {place} have launched a campaign to save the library on {street}, which {council} wants to close to save {money_local} a year.
        [library] A petition against the closure of the library on {street} has passed {big} signatures, days before {council} is due to decide its future.
        [lanes] {council} approved plans for {n} kilometres of new cycle lanes on {weekday} night, despite objections from shopkeepers on {street}.
        [works] {street} will close to traffic for {n} weeks from {weekday} while engineers replace a Victorian water main.
        [harbour] Plans to turn the old ferry terminal in {place} into homes, a hotel and a public square were approved by {council} on {weekday}.
        [beach] More than a hundred volunteers spent {weekday} morning clearing litter from the beach at {place}, filling {n2} bags in {n} hours.
    """),
    body=tagged("""
        [library lanes harbour] {official} told the meeting the council had “no easy choices left”.
        [library lanes harbour] Residents can comment on the plans until the end of {month}.
        [lanes harbour] The motion passed with a majority of {n} after a debate lasting almost three hours.
        [library] A final decision is expected at the next full council meeting in {month}.
        [library lanes harbour] Opponents said the consultation had been held during the summer holidays.
        Volunteers from the {org} have been collecting views from residents for several weeks.
        The story has been the talk of the town, and the subject of heated debate on local social media pages.
        [library] The library has served the neighbourhood for more than {n2} years and has {any_big} members.
        [library] Council officers said the building needed repairs the authority could not afford.
        [library] Campaigners have suggested volunteers could run the library, as has happened in neighbouring towns.
        [library] Parents said the weekly story sessions were one of the few free activities left for young children.
        [library] The council says a mobile library would visit the area twice a week.
        [library] Opening hours at the library have already been cut to three days a week.
        [lanes works] Traders on {street} said the works would cost them customers at the busiest time of year.
        [works] Diversions will be signposted, and two bus routes will be rerouted while the road is closed.
        [lanes] The scheme is funded by a {money_local} grant from the regional transport budget.
        [lanes] The authority says the changes will cut congestion and improve air quality near schools.
        [lanes] Some residents welcomed the plans but asked for better lighting on side streets.
        [lanes] Cycling groups said the lanes would make the town safer for children riding to school.
        [lanes] The lanes will be separated from traffic by low kerbs and planters.
        [works] Business owners said they had not been told until a letter arrived last week.
        [works] The water main, laid in the 1890s, has burst {n} times in the past year.
        [works] Pedestrian access to shops will be kept open throughout the works.
        [works] Residents were warned to expect low water pressure on some days.
        [works] Engineers said the work could not be delayed any longer without risking a major burst.
        [works] Overnight working will be kept to a minimum, the water company said.
        [works] The water company has apologised for the disruption.
        [harbour] The harbour master said new berths would let larger fishing boats land their catch in {place}.
        [harbour] Local historians have asked the council to preserve the old customs house.
        [beach] Pupils from a nearby primary school joined in, and the {org} provided gloves and bags.
        [beach] Litter picks are now held on the first Saturday of every month.
        [beach] Plastic bottles, fishing line and food wrappers made up most of the haul.
        [beach] The {org} said the amount of litter washed up had risen sharply since last winter's storms.
        [beach] The council has promised extra bins along the promenade before the summer.
        [beach] The beach is one of the busiest in the region in summer, attracting thousands of visitors.
        [beach] Among the more unusual finds were a shopping trolley and a child's bicycle.
        [beach] Volunteers recorded everything they collected for a national survey of beach litter.
        [beach] The next clean-up will take place in the spring.
        [harbour] The {org} will hold a public meeting at the community centre on {weekday} evening.
        [harbour] The developer says about a third of the new homes will be offered at below-market rents.
        [harbour] The scheme includes a new lifeboat station and a public slipway.
        [harbour] Building work is expected to take four years.
    """),
    quotes=tagged("""
        [library] This library is the only warm, free place some of our older residents have | {newcomer}, who helped organise the petition
        [lanes works] We support cleaner air, but nobody asked the people who actually work on this street | {newcomer}, who runs a café on {street}
        [harbour] It has taken ten years to get here and we are not about to waste the chance
        [beach] Every bag we fill is one less thing washing out to sea | {newcomer}, one of the volunteers
    """),
    subheads=("What happens next", "The background", "Local reaction"),
)

# Templates are prose, one sentence per line: wrapping them would hide where sentences end.
# ruff: noqa: E501
"""Template banks for science, sport, technology and culture."""

from __future__ import annotations

from newswire.app.demo.phrasebank.topic import TopicBank, tagged

SCIENCE = TopicBank(
    name="science",
    section="Science",
    tags=("Research", "Oceans", "Archaeology", "Energy"),
    roles=("Dr", "Professor"),
    orgs=("Science Research Council", "National Space Agency", "Institute of Marine Biology"),
    subjects=("the deep-sea survey", "the fusion experiment", "the excavation"),
    expert_titles=(
        "a researcher who was not involved in the work",
        "a professor at the University of Greywater",
    ),
    headlines=tagged("""
        [survey] Scientists discover {n} new species in deep-sea survey off {place}
        [decline] Study links {species} decline to warming waters
        [battery] Researchers at {institute} report breakthrough in battery chemistry
        [fusion] Fusion experiment sustains record plasma for {n2} seconds
        [settlement] Ancient settlement unearthed during roadworks near {place}
        [hoard] Bronze Age hoard found by metal detectorist near {place}
    """),
    ledes=tagged("""
        [survey] Researchers at {institute} say they have identified {n} previously unknown species during a deep-sea survey, in findings published in {journal} on {weekday}.
        [decline] A decline in {species} numbers along the coast is closely linked to rising sea temperatures, according to a study published in {journal}.
        [battery] Scientists at {institute} say they have developed a battery material that could charge an electric car in a fraction of the current time.
        [fusion] A fusion experiment funded by the {org} sustained a record plasma for {n2} seconds, a milestone its scientists called “a genuine step forward”.
        [settlement] Archaeologists working near {place} have uncovered the remains of a settlement thought to be more than {big} years old.
        [hoard] A metal detectorist has found a hoard of more than {n2} Bronze Age objects in a field near {place}, experts confirmed on {weekday}.
    """),
    body=tagged("""
        {official}, who led the work, said the results had surprised even the team.
        Independent researchers said the work was careful but cautioned against drawing firm conclusions.
        Further analysis will be carried out at laboratories in {place2} over the coming months.
        “This is the kind of result you hope for once in a career,” {surname} said.
        {expert}, {expert_title}, said the work could change how the field thinks about the problem.
        Members of the public will be able to see some of the material at an open day in {month}.
        A full account of the work is due to be published in a peer-reviewed paper next year.
        Schools in {place} will be invited to take part in workshops based on the discovery.
        [survey decline battery fusion] The findings, which were peer reviewed, build on more than a decade of work.
        [survey decline battery fusion] Funding for the project came from the {org} and several European partners.
        [survey decline battery fusion] Early results were presented at a conference in {place2} last spring.
        [survey decline] The {org} said it would publish the full data set later this year.
        [survey] The team spent {n2} days at sea collecting samples at depths of up to {any_big} metres.
        [survey] Some of the animals were so fragile that they had to be photographed before being brought to the surface.
        [survey] Similar surveys in the Pacific have turned up new species at a comparable rate.
        [survey] The researchers plan to return next year with a remotely operated vehicle.
        [survey] Naming the new species is expected to take several years.
        [decline] The study tracked {any_big} individual animals over a period of {n} years.
        [decline] The data suggest the effect is strongest in shallow waters, where temperatures fluctuate most.
        [decline] The authors note that their model does not yet account for changes in ocean currents.
        [decline] Conservation groups said the findings strengthened the case for new marine protected areas.
        [decline] Fishermen in {place} said they had noticed the change for years before scientists measured it.
        [battery fusion] The paper's conclusions rest on {n2} separate experiments carried out over {n} years.
        [battery fusion] Commercial applications are likely to be at least a decade away, the team cautioned.
        [battery] The material is made from elements that are cheaper and more abundant than those in today's batteries.
        [battery] Several companies have already approached the university about licensing the technology.
        [battery] Cells made with the material kept most of their capacity after {any_big} charging cycles in the laboratory.
        [fusion] The reactor, which cost {any_money2} to build, took almost ten years to design and test.
        [fusion] The result beats the previous record, set by a team in Asia, by a wide margin.
        [fusion] Engineers now plan to run the machine for longer pulses at higher power next year.
        [settlement hoard] The finds will be cleaned and catalogued before going on display at the museum in {place2}.
        [settlement hoard] Experts from the county archaeology service were called in within hours of the discovery.
        [settlement] The site has yielded pottery, tools and the foundations of at least {n} buildings.
        [settlement] Volunteers from the local history society helped to sift through tonnes of soil.
        [settlement] Experts say the discovery could reshape understanding of how the region was settled.
        [settlement] Work on the road has been paused while the excavation continues.
        [hoard] The objects include axe heads, bracelets and fragments of what may have been a sword.
        [hoard] The find must be reported to the coroner, who will decide whether it counts as treasure.
        [hoard] The detectorist, who asked not to be named, had been searching the same field for years.
    """),
    quotes=tagged("""
        [survey] Every time we go down there we find something nobody has ever seen before
        [decline] The numbers are striking, and they are consistent across every site we looked at
        [battery fusion] It is a small step, but it is a step in exactly the right direction
        [settlement hoard] We owe a great deal to the volunteers who gave up their weekends to help
    """),
    subheads=("How the work was done", "What comes next", "A note of caution"),
    civic=False,
)

SPORT = TopicBank(
    name="sport",
    section="Sport",
    tags=("Football", "Premier Division", "Transfers"),
    roles=("manager", "head coach"),
    orgs=("Football Association", "Premier Division", "Players' Union"),
    subjects=("the title race", "the cup run", "the relegation battle", "the transfer window"),
    expert_titles=("a former international and now a television pundit", "a sports economist"),
    headlines=tagged("""
        [win] {team} beat {rival} {score} to move top of the table
        [derby] Late goal sinks {team} as {rival} snatch derby win
        [contract] {player} signs new {n}-year contract with {team}
        [signing] {team} complete signing of {player} from {rival}
        [slump] Pressure mounts on {surname} as {team} slip into bottom three
        [injury] Injury blow for {team} as {player} is ruled out for {n} weeks
    """),
    ledes=tagged("""
        [win] {team} moved to the top of the table on {weekday} night after a {score} win over {rival} in front of {big} supporters.
        [derby] A stoppage-time goal from {player} gave {rival} a dramatic derby victory over {team} on {weekday} night.
        [contract] {player} has committed to {team} until {target_year}, ending weeks of speculation about a move abroad.
        [signing] {team} have completed the signing of {player} from {rival}, the club announced on {weekday}.
        [slump] {team} slipped into the bottom three on {weekday} after another defeat, piling pressure on {official}.
        [injury] {team} will be without {player} for up to {n} weeks after scans confirmed a hamstring injury, {official} said on {weekday}.
    """),
    body=tagged("""
        Attendance at the ground has risen by {any_pct} this season, according to club figures.
        Supporters' groups have criticised the decision to raise ticket prices next season.
        {expert}, {expert_title}, said the club had “a squad good enough to finish in the top half”.
        The club's accounts, published last month, showed losses of {any_money} for the previous season.
        {team} were promoted to the top flight in {past_year} and have spent most seasons since in mid-table.
        The club's new training ground on the edge of {place} opened in the summer.
        The club was bought by a consortium of local businesspeople {n} years ago.
        Season-ticket sales have held up despite the price rise, the club said.
        Next up for {team} is a trip to {place2} next weekend.
        The women's team, which shares the ground, is also enjoying its best season in years.
        [win derby slump] Attention now turns to a midweek cup tie away in {place2}.
        [win derby] The home side dominated possession but struggled to create clear chances in the first half.
        [win derby] The goalkeeper made a string of fine saves to keep the scores level at half-time.
        [win derby] The referee was surrounded by players after awarding a penalty in the {minute} minute.
        [win derby] Both managers agreed that the pitch, heavy after days of rain, had made passing difficult.
        [win derby] Academy graduate {player2} was handed a first start and impressed on the left flank.
        [win derby] The visitors pulled a goal back with {n} minutes remaining, setting up a tense finale.
        [win] {player} opened the scoring shortly after the break with a low shot into the far corner.
        [win] {official} said afterwards the performance was “as good as anything we have produced this season”.
        [win] The result extends {team}'s unbeaten run to {n} matches in all competitions.
        [win] It was the first time {team} had won at the ground since {past_year}.
        [derby] The travelling fans, packed into one corner of the ground, sang long after the final whistle.
        [derby] {official} admitted the side had “switched off” in the final minutes.
        [derby] It was the first derby win for {rival} in {n} attempts.
        [contract signing] {player} passed a medical on {weekday} morning before putting pen to paper.
        [contract signing] Supporters greeted the news with delight on social media.
        [contract signing] {official} described the deal as “a statement of where this club wants to be”.
        [contract signing] Negotiations are understood to have lasted several months.
        [contract injury] {player} was named the club's player of the season in {past_year}.
        [contract] Several clubs abroad were understood to have made enquiries in the summer.
        [contract] The deal includes an option to extend for a further year.
        [contract] {player} has made more than {n2} appearances for the club since coming through the academy.
        [signing] The fee was undisclosed but is understood to be around {any_money}.
        [signing] {player} is expected to go straight into the squad for the weekend's league game.
        [signing] The club had been searching for a striker since the start of the season.
        [slump] Defensive errors have cost the side at least {n} points this season, by {official}'s own count.
        [slump] {team} have won only once in their last {n} league matches.
        [slump] The board is expected to meet on {weekday} to discuss the club's position.
        [slump] Some supporters called for change at the final whistle, while others applauded the players off.
        [slump] {official} said the squad would “stick together” and that the season was far from over.
        [injury] {player} was hurt in a challenge shortly before half-time and left the pitch on a stretcher.
        [injury] Medical staff will assess the injury over the coming days before setting a timetable for a return.
        [injury] {player} had been one of the side's most consistent performers this season.
        [injury] The setback comes with a run of difficult fixtures to come before the winter break.
        [injury] The club will decide whether to sign a replacement when the transfer window opens.
    """),
    quotes=tagged("""
        [win] We showed real character tonight, and that is what wins you titles
        [derby] The lads gave absolutely everything, and the supporters deserved that
        [contract signing] This club means everything to me and my family, so it was an easy decision | {player}
        [slump] I am not going to hide behind excuses, we simply have not been good enough
        [injury] It is a big loss, but this squad has dealt with setbacks before
    """),
    subheads=("Team news", "What the manager said", "Looking ahead"),
    civic=False,
)

TECHNOLOGY = TopicBank(
    name="technology",
    section="Technology",
    tags=("AI", "Privacy", "Telecoms", "Cybersecurity"),
    roles=("chief executive", "Digital Minister", "founder"),
    orgs=("Data Protection Authority", "Competition Authority", "Cyber Security Centre"),
    subjects=("the new privacy rules", "the broadband rollout", "the AI safety code"),
    expert_titles=("a security researcher at Northgate Labs", "a technology analyst at Brightline"),
    headlines=tagged("""
        [launch] {company} unveils {product} as competition heats up
        [probe] Regulator opens investigation into {company} over data handling
        [outage] Broadband outage leaves {big} homes offline across {region}
        [hack] Hackers target hospital systems in {region}, officials say
        [investment] {company} to build {money2} chip factory near {place}
        [launch] {company} bets on {product} to revive flagging sales
        [probe] {company} faces record fine over handling of children's data
        [outage] Thousands left without internet after data centre fault in {place}
        [hack] Cyber-attack forces hospitals in {region} to cancel appointments
        [investment] {place} chosen for {company}'s first European chip plant
    """),
    ledes=tagged("""
        [launch] {company} on {weekday} unveiled {product}, its most ambitious launch in years, as it tries to win back customers from larger rivals.
        [probe] The {org} has opened a formal investigation into how {company} handles user data, it said on {weekday}.
        [outage] Tens of thousands of homes and businesses in {region} lost their internet connection on {weekday} after a fault at a data centre in {place}.
        [hack] Hospitals across {region} were forced to cancel appointments on {weekday} after a cyber-attack took their computer systems offline.
        [investment] {company} will build a {money2} semiconductor plant near {place}, the company said on {weekday}.
        [launch] {company} is betting that {product}, unveiled on {weekday}, can reverse {n} years of falling sales.
        [probe] {company} could face a record fine after the {org} said on {weekday} that children's data had been shared without proper consent.
        [outage] Thousands of customers in {place} and across {region} were left without internet access for much of {weekday} after a fault at a data centre.
        [hack] Patients across {region} had appointments cancelled on {weekday} after a cyber-attack disrupted hospital computer systems, the {org} said.
        [investment] {company} has chosen {place} for its first chip factory in Europe, beating sites in {n} other countries.
    """),
    body=tagged("""
        {expert}, {expert_title}, said the episode showed how much everyday life depends on a handful of companies.
        [launch probe investment] Technology firms have faced growing scrutiny from regulators across Europe in recent years.
        [launch probe investment] The company, founded in {place} in {past_year}, now employs more than {any_big} people.
        [launch probe outage investment] Staff at the company's headquarters in {place} were told of the news in an email on {weekday}.
        [launch probe] {official} said the company had “learned a great deal” from the problems of the past.
        [launch] The company said the device would go on sale in {month} at a starting price of {price}.
        [launch] Analysts said the launch was an attempt to catch up with rivals that have moved faster on AI features.
        [launch] Early reviewers praised the battery life but criticised the high price.
        [launch] The company sold fewer devices last year than in any year since {past_year}.
        [launch] Industry figures suggest {any_pct} of households now use at least one smart-home device.
        [launch] The launch event in {place} was streamed live and watched by hundreds of thousands of people.
        [launch] Pre-orders open on {weekday}, with deliveries expected within a month.
        [launch] The company's previous model was criticised for poor battery life and a high price.
        [probe] The investigation will examine whether users were given a clear choice about how their data was shared.
        [probe] {company} said it would cooperate fully and was confident it had complied with the law.
        [probe] If found in breach, the company could face a fine of up to {any_pct} of its global turnover.
        [probe] Consumer groups have long argued that the company's terms of service are too complex.
        [probe] The {org} said it had received {any_big} complaints about the service in the past year.
        [probe] The investigation follows a complaint by a consumer group on behalf of {any_big} users.
        [probe] The {org} can also order the company to change how its services work.
        [probe] It is the second investigation into the company in {n} years.
        [outage] Engineers restored most connections within {n} hours, but some rural areas remained offline.
        [outage] The outage disrupted card payments in shops and delayed trains across {region}.
        [outage] The company apologised and said customers would be compensated automatically.
        [outage] It was the {ordinal} major outage on the network this year.
        [outage] Mobile networks were also affected as customers switched to their phones.
        [outage] The company blamed a power failure at the data centre, which also knocked out its backup systems.
        [outage] Customers complained that the company's status page showed no problems for several hours.
        [outage] The regulator said it would ask the company for a full report on what went wrong.
        [hack] Security researchers said the attack bore the hallmarks of a criminal group active since {past_year}.
        [hack] Patients were asked to bring paper copies of their records to appointments while systems were restored.
        [hack] The {org} said it was working with the hospitals to restore services safely.
        [hack] There was no evidence so far that patient data had been stolen, officials said.
        [hack] Some operations were postponed, although emergency care continued as normal.
        [hack] Staff went back to pen and paper to keep wards running.
        [hack] It is the {ordinal} attack on a public body in the region this year.
        [hack] Officials declined to say whether a ransom had been demanded.
        [hack] IT teams worked through the night to restore the most critical systems first.
        [investment] The factory is expected to create about {any_big} jobs once it is fully running.
        [investment] Construction is expected to start next year, with production beginning in {target_year}.
        [investment] The chips will be used in cars, medical devices and industrial equipment rather than phones.
        [investment] The government offered grants and tax breaks worth {any_money} to secure the investment.
        [investment] Local leaders welcomed the news as a vote of confidence in {region}.
        [investment] It is the largest foreign investment in {region} for more than a decade.
        [investment] Unions said they would seek guarantees on pay and conditions for the new workforce.
        [investment] The site, a former steelworks, has stood empty for years.
    """),
    quotes=tagged("""
        [launch] We got things wrong last time, and we have spent two years putting them right
        [probe] People deserve to know exactly what happens to their information, in plain language
        [outage hack] This is not a glitch, it is a warning about how fragile these systems have become
        [investment] Talent is here, the universities are here, and now the investment is here too
    """),
    subheads=("What happens now", "The background", "How it unfolded"),
)

CULTURE = TopicBank(
    name="culture",
    section="Culture",
    tags=("Film", "Theatre", "Art", "Festivals"),
    roles=("festival director", "curator", "artistic director"),
    orgs=("Arts Council", "Film Institute", "Heritage Fund"),
    subjects=("the festival programme", "the gallery extension", "the restoration"),
    expert_titles=("a film critic", "an art historian at the University of Ashcombe"),
    headlines=tagged("""
        [prize] {artist}'s “{work}” wins top prize at {place} film festival
        [festival] Record crowds as {place} arts festival opens
        [reopening] {venue} to reopen after {money2} restoration
        [rescue] {venue} saved from closure after campaign
        [portrait] Long-lost portrait found in {place} attic, experts say
        [review] Review: “{work}” is a bold, uneven triumph
    """),
    ledes=tagged("""
        [prize] {artist} won the main prize at the {place} Film Festival on {weekday} for “{work}”, a drama the jury called “quietly devastating”.
        [festival] More than {big} people are expected at the {place} arts festival, which opened on {weekday} with a sold-out concert.
        [reopening] {venue}, closed for almost {n} years, will reopen to the public in {month} after a restoration costing {money2}.
        [rescue] {venue} has been saved from closure after a campaign by residents raised more than {money}.
        [portrait] A portrait missing for more than a century has been found in an attic in {place}, and experts believe it may be an early work by a celebrated painter.
        [review] “{work}”, the first feature by {artist}, is ambitious, beautifully shot and about twenty minutes too long.
    """),
    body=tagged("""
        {expert}, {expert_title}, called it “one of the most exciting moments for the arts in {region} in years”.
        The arts in {region} have struggled since public funding was cut {n} years ago.
        {place} has a long tradition of amateur theatre and music, and several local groups are involved.
        Visitor numbers at cultural venues in the region have still not returned to pre-pandemic levels.
        The {org} said it would announce its next round of grants in {month}.
        [festival reopening rescue prize] Schools in {place} have been offered free tickets for pupils.
        [prize festival reopening rescue] Funding from the {org} has been crucial, organisers said.
        [prize festival reopening] Tickets sold out within {n} hours of going on sale.
        [festival reopening rescue] Local businesses say the attention brings a welcome boost to hotels and restaurants.
        [festival reopening rescue] {official} said the aim was to “bring in people who have never set foot in a theatre”.
        [prize review] The film follows three generations of a family running a guesthouse on the coast.
        [prize review] Critics have praised the performances, particularly in the final act.
        [prize review] “{work}” will be released in cinemas across the country in {month}.
        [prize] {artist} thanked the cast and crew, many of whom were working on their first feature.
        [prize] The jury, chaired by a former festival director, met for two days before reaching a decision.
        [prize] Previous winners have gone on to international success, and distributors were quick to show interest.
        [festival] The programme includes {n2} events across {n} venues, from poetry readings to late-night jazz.
        [festival] Organisers said {any_pct} of tickets this year were sold to first-time visitors.
        [festival] Street performers and food stalls lined the harbour front throughout the afternoon.
        [festival] This year's festival is the largest since it was founded in {past_year}.
        [festival] Extra late-night buses have been laid on to cope with demand.
        [reopening rescue] The building was added to the heritage register in {past_year} but had fallen into disrepair.
        [reopening rescue] Rehearsals for the new season begin in {month}, with a first performance early in {next_year}.
        [reopening] Guided tours of the restored building will run every weekend in {month}.
        [reopening] The restoration uncovered original ceiling paintings hidden under layers of plaster.
        [reopening] {official} said the venue would host a mix of touring productions and local work.
        [rescue] A petition to save the building gathered {any_big} signatures in less than a month.
        [rescue] The trust hopes to reopen the café and bar by the spring.
        [rescue] The venue will now be run by a community trust, with volunteers staffing the box office.
        [portrait] The painting shows a young woman in a blue dress seated beside a window overlooking the sea.
        [portrait] It will be cleaned by a conservator before any decision is made about its future.
        [portrait] Records suggest it was sold at a country-house auction in the 1920s and then vanished.
        [portrait] Art historians say the brushwork is typical of the painter's early years.
        [portrait] Experts are now examining the canvas to confirm its age and origin.
        [portrait] The owners said they had no idea of its value until a visiting dealer noticed the signature.
        [portrait] If confirmed, the painting could be worth several hundred thousand euros at auction.
        [portrait] The family said they hoped the portrait would eventually go on public display.
        [review] The camera lingers on the coastline until the landscape becomes a character in its own right.
        [review] The script is at its best in quiet moments and weakest when it reaches for grand statements.
        [review] {newcomer}, in a first screen role, is remarkable as the youngest daughter.
        [review] The soundtrack, mostly solo piano, is used sparingly and to great effect.
        [review] At 140 minutes, the film asks a lot of its audience.
        [review] Reviewers elsewhere have been divided, with some calling it overlong.
    """),
    quotes=tagged("""
        [prize review] We wanted to make something honest about the people we grew up with
        [prize] I cried when the jury read out the name, and I am not ashamed to say it
        [festival] Art should be for everyone, not just for those who can afford a ticket
        [reopening rescue] This building has waited a long time for its second act
        [portrait] It had been hanging in the spare room for as long as anyone can remember | the painting's owner, who asked not to be named
    """),
    subheads=("The story so far", "Behind the scenes", "What to see"),
    civic=False,
)

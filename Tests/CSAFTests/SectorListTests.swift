import CSAF
import Testing
import VigilTestSupport

@Suite("Sector and country notes")
struct SectorListTests {
    @Test("the 'and' inside a sector's name is not a separator")
    func commaAndList() {
        #expect(SectorList.split("Critical Manufacturing, Energy, and Water and Wastewater Systems")
                == ["Critical Manufacturing", "Energy", "Water and Wastewater Systems"])
    }

    @Test("semicolon lists keep the sector whose own name holds commas")
    func semicolonList() {
        #expect(SectorList.split("Defense Industrial Base; Energy; Government Facilities; Nuclear Reactors, Materials, and Waste; Transportation Systems; Water and Wastewater Systems")
                == ["Defense Industrial Base", "Energy", "Government Facilities", "Nuclear Reactors, Materials, and Waste",
                    "Transportation Systems", "Water and Wastewater Systems"])
        #expect(SectorList.split("Energy, Nuclear Reactors, Materials and Waste, Dams")
                == ["Energy", "Nuclear Reactors, Materials, and Waste", "Dams"])
    }

    @Test("variants map to the critical infrastructure sector names", arguments: [
        ("Multiple", ["Multiple Sectors"]),
        ("Multiple Sectors", ["Multiple Sectors"]),
        (" Critical Manufacturing ", ["Critical Manufacturing"]),
        ("critical manufacturing", ["Critical Manufacturing"]),
        ("Energy Sector", ["Energy"]),
        ("Energy.", ["Energy"]),
        ("Healthcare, Water", ["Healthcare and Public Health", "Water and Wastewater Systems"]),
        ("Energy, Energy Sector, energy", ["Energy"]),
        ("Energy,\nCommercial Facilities", ["Energy", "Commercial Facilities"]),
    ])
    func variants(_ text: String, _ expected: [String]) {
        #expect(SectorList.split(text) == expected)
    }

    @Test("an unknown sector is kept as written, and empty pieces are dropped")
    func unknownKept() {
        #expect(SectorList.split("Energy, Space Operations") == ["Energy", "Space Operations"])
        #expect(SectorList.split(" , ;") == [])
        #expect(SectorList.split("") == [])
    }

    @Test("countries split on commas, semicolons and newlines")
    func countries() {
        #expect(SectorList.splitCountries("Worldwide") == ["Worldwide"])
        #expect(SectorList.splitCountries("United States, Europe, and Asia.") == ["United States", "Europe", "Asia"])
        #expect(SectorList.splitCountries("Germany;\nFrance") == ["Germany", "France"])
    }
}

//! Datatype mappings: v2 datatypes (CX, XPN, XAD, XTN, CWE, XCN, XON, HD, EI, PL, CQ, SN, MO,
//! DTM) to FHIR R4 datatypes.

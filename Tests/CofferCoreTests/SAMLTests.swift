@testable import CofferCore
import Foundation
import Testing

@Suite struct SAMLTests {
    func canonical(_ xml: String, child: Int? = nil, prefixes: [String] = []) throws -> String {
        let root = try XMLTree.parse(Array(xml.utf8))
        let element = child.map { root.elements[$0] } ?? root
        return String(decoding: ExclusiveCanonicalization.canonicalize(element, inclusivePrefixes: prefixes), as: UTF8.self)
    }

    /// Expected forms are lxml's (libxml2's) `tostring(method="c14n", exclusive=True, with_comments=False)`.
    @Test func canonicalizesAsLibxml2Does() throws {
        #expect(try canonical(#"<r xmlns="urn:d" xmlns:p="urn:p" b="2" p:a="1" a="&lt;&quot;&#9;&#10;x"><e xmlns=""/><p:f>a &amp; b &gt; c&#13;</p:f><!-- c --><g/></r>"#)
            == #"<r xmlns="urn:d" xmlns:p="urn:p" a="&lt;&quot;&#x9;&#xA;x" b="2" p:a="1"><e xmlns=""></e><p:f>a &amp; b &gt; c&#xD;</p:f><g></g></r>"#)
        let nested = #"<x:r xmlns:x="urn:x" xmlns:y="urn:y" xmlns:z="urn:z"><x:s y:k="v"><z:t/></x:s></x:r>"#
        #expect(try canonical(nested, child: 0) == #"<x:s xmlns:x="urn:x" xmlns:y="urn:y" y:k="v"><z:t xmlns:z="urn:z"></z:t></x:s>"#)
        #expect(try canonical(nested, child: 0, prefixes: ["z"]) == #"<x:s xmlns:x="urn:x" xmlns:y="urn:y" xmlns:z="urn:z" y:k="v"><z:t></z:t></x:s>"#)
        #expect(try canonical(#"<r xmlns:a="urn:a" xmlns:b="urn:b" b:z="1" a:z="2" z="3" xml:lang="en"><![CDATA[<raw>&]]></r>"#)
            == #"<r xmlns:a="urn:a" xmlns:b="urn:b" z="3" xml:lang="en" a:z="2" b:z="1">&lt;raw&gt;&amp;</r>"#)
        // Line ends are normalized before anything reads them; literal white space in an attribute becomes a space.
        #expect(try canonical("<r a=\"x\r\ny\">1\r\n2\r3</r>") == "<r a=\"x y\">1\n2\n3</r>")
    }

    @Test func refusesWhatSAMLNeverNeeds() {
        for xml in [#"<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>"#, "<r>&e;</r>", "<r><s></r>", "<p:r/>", "<r a='1' a='2'/>", "<r/><r/>",
                    String(repeating: "<a>", count: 200) + String(repeating: "</a>", count: 200)] {
            #expect(throws: XMLTree.ParseError.self) { try XMLTree.parse(Array(xml.utf8)) }
        }
    }

    @Test func readsResponsesAndRefusesUnsignedOnes() throws {
        let response = """
            <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
            <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a"><saml:Issuer>https://idp</saml:Issuer></saml:Assertion></samlp:Response>
            """
        let encoded = Data(response.utf8).base64EncodedString()
        #expect(throws: SAMLResponse.badSignature) { try SAMLResponse(base64: encoded, signingKeys: []) }
        let duplicate = response.replacingOccurrences(of: "ID=\"_a\"", with: "ID=\"_r\"")
        #expect(throws: SAMLResponse.badSignature) { try SAMLResponse(base64: Data(duplicate.utf8).base64EncodedString(), signingKeys: []) }
        #expect(SAMLResponse.isAWSEndpoint("https://signin.aws.amazon.com/saml"))
        #expect(SAMLResponse.isAWSEndpoint("https://eu-west-1.signin.aws.amazon.com/saml"))
        #expect(SAMLResponse.isAWSEndpoint("urn:amazon:webservices"))
        #expect(!SAMLResponse.isAWSEndpoint("https://evil.example.com/signin.aws.amazon.com/saml"))
        #expect(!SAMLResponse.isAWSEndpoint("https://evil.com?x=.signin.aws.amazon.com/saml"))
    }
}

//! What the demo's visitors ask, and the malformed messages among them: the questions with how
//! the CV fares, paraphrases of what it does not answer, questions with personal data in them.

/// Questions people ask a CV, with how the CV fares: (question, answerable, sources).
pub(super) const QUESTIONS: [(&str, bool, &[&str]); 24] = [
    ("Do you know Rust?", true, &["Rust", "Tokio", "AWS Lambda"]),
    (
        "have you any experience with c#?",
        true,
        &["C#", ".NET", "ASP.NET Core", "Azure"],
    ),
    (
        "What cloud platforms have you used?",
        true,
        &["AWS", "Azure"],
    ),
    (
        "Have you worked with AWS Lambda",
        true,
        &["AWS Lambda", "DynamoDB", "SQS"],
    ),
    (
        "Do you have Kubernetes experience?",
        true,
        &["Kubernetes", "Docker"],
    ),
    (
        "What databases do you know?",
        true,
        &["PostgreSQL", "DynamoDB", "SQL Server"],
    ),
    (
        "Tell me about your TypeScript skills",
        true,
        &["TypeScript", "React", "Node.js"],
    ),
    ("Have you led a team?", true, &["Leadership"]),
    ("What is your most recent role?", true, &["Experience"]),
    ("Do you know Python?", true, &["Python", "Django"]),
    (
        "Have you used Terraform or CloudFormation?",
        true,
        &["CloudFormation", "Terraform"],
    ),
    (
        "Any experience with event-driven systems?",
        true,
        &["SQS", "EventBridge", "Kafka"],
    ),
    ("Do you write unit tests?", true, &["Testing", "TDD"]),
    (
        "What about CI/CD pipelines?",
        true,
        &["GitHub Actions", "CI/CD"],
    ),
    ("Do you know Go?", true, &["Go"]),
    ("Have you worked with GraphQL?", true, &["GraphQL"]),
    ("Do you have a pilot licence?", false, &[]),
    ("Can you write COBOL?", false, &[]),
    ("What is your salary expectation?", false, &[]),
    ("Are you available on weekends?", false, &[]),
    ("Do you speak Japanese?", false, &[]),
    ("Have you worked on mainframes?", false, &[]),
    ("Can you fix my printer?", false, &[]),
    ("What is your favourite colour?", false, &[]),
];

/// Other ways people ask the questions the CV cannot answer: one content gap each.
pub(super) const PARAPHRASES: [(&str, &[&str]); 4] = [
    (
        "Do you have a pilot licence?",
        &[
            "pilot license?",
            "can you fly a plane",
            "are you a licensed pilot",
        ],
    ),
    (
        "Can you write COBOL?",
        &[
            "do you know cobol",
            "cobol experience?",
            "any mainframe cobol work?",
        ],
    ),
    (
        "What is your salary expectation?",
        &[
            "what salary do you expect",
            "salary expectations?",
            "how much do you want to be paid",
        ],
    ),
    (
        "Do you speak Japanese?",
        &[
            "japanese language skills?",
            "can you work in japanese",
            "how good is your japanese",
        ],
    ),
];

/// Contact details some people type into their question; the processor scrubs them.
pub(super) const PERSONAL: [&str; 3] = [
    " you can mail me at jane.doe@example.com",
    " call me on +44 20 7946 0958",
    " my iban is GB82 WEST 1234 5698 7654 32",
];

/// How a delivery may go wrong before it reaches the processor.
pub(super) const MALFORMED: [(&str, &str); 6] = [
    ("this is not json", "body is not JSON"),
    (
        r#"{"eventType":"click","requestId":"a1","timestamp":1762607658821}"#,
        "unknown eventType",
    ),
    (
        r#"{"eventType":"query","requestId":"b2","timestamp":1762607658,"query":"seconds, not ms?","metadata":{}}"#,
        "looks like seconds",
    ),
    (
        r#"{"eventType":"query","requestId":"c3","timestamp":"yesterday","query":"a question","metadata":{}}"#,
        "field timestamp: invalid type",
    ),
    (
        r#"{"eventType":"response","requestId":"d4","timestamp":1762607658821,"matchType":"full","matchScore":250,"reasoning":"x","metadata":{}}"#,
        "matchScore is 250",
    ),
    (
        r#"{"requestId":"e5","timestamp":1762607658821}"#,
        "missing eventType",
    ),
];
